/**
 * A string as JSON text, exactly as JSON.stringify writes it. Nearly every string a warm admission
 * writes (pointers, names, references, log fields) has nothing to escape; a pattern finds that in
 * a fraction of the cost of a call into JSON.stringify, which then writes only the others.
 */

// A quote, a backslash, a control character or any surrogate (paired ones are left to
// JSON.stringify too, which keeps them as they are and escapes the lone ones).
// eslint-disable-next-line no-control-regex
const NOTHING_TO_ESCAPE = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** Whether JSON.stringify writes `text` as it is, between quotes. */
export function needsNoEscape(text: string): boolean {
  return NOTHING_TO_ESCAPE.test(text);
}

export function jsonString(text: string): string {
  return needsNoEscape(text) ? `"${text}"` : JSON.stringify(text);
}

/**
 * A string with its JSON text, written together by what made it. `json` must be exactly
 * `JSON.stringify(text)`: it is written into patches as it is, unchecked.
 */
export interface TextWithJson {
  readonly text: string;
  readonly json: string;
}

/**
 * What `jsonString(text)` wrote, as it appears inside a JSON string: exactly
 * `JSON.stringify(written).slice(1, -1)`. For JSON text built in pieces, each piece is quoted once
 * for the text and once for the text's own JSON, without a second pass over the whole.
 */
export function writtenInJsonString(text: string, written: string): string {
  // Nothing was escaped when the quotes are all jsonString added.
  return written.length === text.length + 2
    ? `\\"${text}\\"`
    : JSON.stringify(written).slice(1, -1);
}
