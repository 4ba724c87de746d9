/**
 * A YAML syntax error as a person reads it: `FILE:LINE:COLUMN: reason` on one line, then the
 * line it is on with a caret under the column. The line is the file's own text, so it is cut to
 * a window around the column (a minified JSON file is one long line) and its control characters
 * are replaced: a file must not be able to drive the terminal it is reported to.
 */
import type { SyntaxProblem } from './yaml-source.js';

const WINDOW = 120;
const LEAD = 60;
const ELLIPSIS = '…';
// Every C0 and C1 control character and DEL, except the tab, which is kept for the alignment.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

export function syntaxProblemText(where: string, problem: SyntaxProblem): string {
  // The column counts UTF-16 units; the excerpt counts characters, so a surrogate pair stays whole.
  const index = Array.from(problem.lineText.slice(0, problem.column - 1)).length;
  const { shown, caretAt } = excerpt(Array.from(problem.lineText), index);
  const indent = shown
    .slice(0, caretAt)
    .map((character) => (character === '\t' ? '\t' : ' '))
    .join('');
  const reason = problem.reason.replace(CONTROL_CHARACTERS, '\uFFFD');
  return `${where}:${problem.line}:${problem.column}: ${reason}\n  ${shown.join('')}\n  ${indent}^\n`;
}

/** The characters to show, control characters replaced, and where the caret goes among them. */
function excerpt(
  characters: readonly string[],
  index: number,
): { shown: string[]; caretAt: number } {
  const clean = characters.map((character) => character.replace(CONTROL_CHARACTERS, '\uFFFD'));
  if (clean.length <= WINDOW) return { shown: clean, caretAt: Math.min(index, clean.length) };
  const start = Math.max(0, Math.min(index - LEAD, clean.length - WINDOW));
  const end = start + WINDOW;
  const shown = [
    ...(start > 0 ? [ELLIPSIS] : []),
    ...clean.slice(start, end),
    ...(end < clean.length ? [ELLIPSIS] : []),
  ];
  return { shown, caretAt: index - start + (start > 0 ? 1 : 0) };
}
