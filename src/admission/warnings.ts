/**
 * The text of admission warnings. Kubernetes asks for warnings under 120 characters (longer ones
 * may be cut at 256 mid-word), so every warning is composed to fit, shortening the image name in
 * the middle, where it is least telling, rather than losing its tag at the end.
 */

/** Strictly under 120 characters. */
export const WARNING_MAX_LENGTH = 119;
const ELLIPSIS = '…';
/** Room kept for the image name however long the detail is. */
const IMAGE_MIN_LENGTH = 52;
/** The share of a shortened image name kept from its start; the rest comes from its end. */
const HEAD_SHARE = 0.4;

/** `text` cut to at most `max` characters, ending in an ellipsis when cut. */
export function truncateEnd(text: string, max: number): string {
  const characters = Array.from(text);
  if (characters.length <= max) return text;
  return characters.slice(0, Math.max(0, max - 1)).join('') + ELLIPSIS;
}

/** `text` cut to at most `max` characters by dropping its middle. */
export function truncateMiddle(text: string, max: number): string {
  const characters = Array.from(text);
  if (characters.length <= max) return text;
  const kept = Math.max(0, max - 1);
  const head = Math.floor(kept * HEAD_SHARE);
  const tail = kept - head;
  return (
    characters.slice(0, head).join('') +
    ELLIPSIS +
    characters.slice(characters.length - tail).join('')
  );
}

export function boundWarning(text: string): string {
  return truncateEnd(text, WARNING_MAX_LENGTH);
}

/**
 * Most warnings in one response. The API server cuts warnings short once a response's add up to
 * a few KiB, and an object with ten thousand images would otherwise get ten thousand of them.
 */
export const MAX_WARNINGS = 25;

/**
 * At most MAX_WARNINGS: the first of `warnings`, then one saying how many of `total` (by default
 * all of `warnings`; more when the caller did not compose the rest) were left out.
 */
export function boundWarnings(
  warnings: readonly string[],
  total: number = warnings.length,
): string[] {
  if (total <= MAX_WARNINGS) return [...warnings];
  const kept = warnings.slice(0, MAX_WARNINGS - 1);
  return [...kept, `${total - kept.length} more warnings left out`];
}

/** `image "<image>" <detail>`, fitted under the limit: the detail first, then the name. */
export function imageWarning(image: string, detail: string): string {
  const overhead = 'image "" '.length;
  // The detail may use what a short image name leaves of the room kept for names.
  const imageReserve = Math.min(Array.from(image).length, IMAGE_MIN_LENGTH);
  const fittedDetail = truncateEnd(detail, WARNING_MAX_LENGTH - overhead - imageReserve);
  const imageRoom = WARNING_MAX_LENGTH - overhead - Array.from(fittedDetail).length;
  return boundWarning(`image "${truncateMiddle(image, imageRoom)}" ${fittedDetail}`);
}
