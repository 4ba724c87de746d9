/**
 * Ranges of a file's text replaced in one pass: all `pin` changes in a file, whatever its
 * format, so that every byte outside the edited ranges stays as it was.
 */

export interface TextEdit {
  /** Offset of the first character replaced. */
  readonly start: number;
  /** Offset after the last character replaced. */
  readonly end: number;
  readonly text: string;
}

/**
 * `text` with each range replaced. Edits at one offset (an anchor that several aliases point at)
 * are made once, the last given winning.
 */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const byStart = new Map<number, TextEdit>();
  for (const edit of edits) byStart.set(edit.start, edit);
  let result = '';
  let position = 0;
  for (const edit of [...byStart.values()].sort((a, b) => a.start - b.start)) {
    result += text.slice(position, edit.start) + edit.text;
    position = edit.end;
  }
  return result + text.slice(position);
}
