import { fc, it } from '@fast-check/jest';
import { syntaxProblemText } from '../../src/pinning/syntax-problem-text.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

const character = fc.oneof(
  fc.constantFrom('\t', ' ', 'x', '😀'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
// Short lines, and lines longer than the window shown.
const lineAndColumn = fc
  .oneof(
    fc.string({ unit: character, maxLength: 40 }),
    fc.string({ unit: character, minLength: 130, maxLength: 400 }),
  )
  .map((text) => text.replace(/[\r\n]/g, ' '))
  .chain((lineText) =>
    fc.record({
      lineText: fc.constant(lineText),
      // A column the parser could give: at a character, never inside a surrogate pair.
      column: fc
        .integer({ min: 0, max: Array.from(lineText).length })
        .map((at) => Array.from(lineText).slice(0, at).join('').length + 1),
      reason: fc.string({ unit: 'binary', maxLength: 80 }),
      line: fc.integer({ min: 1, max: 1_000_000 }),
    }),
  );

describe('syntax-problem-text (generated)', () => {
  it.prop([lineAndColumn])(
    'writes three lines, no control character but tabs, the caret under the column, whatever the line',
    (problem) => {
      const text = syntaxProblemText('file.yaml', problem);

      const lines = text.split('\n');
      expect(lines).toHaveLength(4);
      expect(lines[3]).toBe('');
      const [header, shown, caret] = lines as [string, string, string];
      expect(header.startsWith(`file.yaml:${problem.line}:${problem.column}: `)).toBe(true);
      for (const line of [header, shown, caret])
        expect(line.replace(/\t/g, ' ')).not.toMatch(CONTROL);
      expect(caret).toMatch(/^[ \t]*\^$/);
      expect(Array.from(shown).length).toBeLessThanOrEqual(2 + 120 + 2);
      // The caret stands under the character at the column (or just past the line's end).
      const caretAt = Array.from(caret).length - 1;
      const index = Array.from(problem.lineText.slice(0, problem.column - 1)).length;
      const atColumn = Array.from(problem.lineText)[index]?.replace(CONTROL, '\uFFFD');
      expect(Array.from(shown)[caretAt]).toBe(atColumn);
    },
  );
});
