import { syntaxProblemText } from '../../src/pinning/syntax-problem-text.js';
import { parseYamlSource, type SyntaxProblem } from '../../src/pinning/yaml-source.js';

function firstProblem(text: string): SyntaxProblem {
  const parsed = parseYamlSource(text);
  if (!('problems' in parsed)) throw new Error('expected a syntax error');
  return parsed.problems[0]!;
}

describe('syntax-problem-text', () => {
  it('says file, line, column and the reason once on one line, then the line and a caret', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: {a: 1\nspec: {}\n';

    const message = syntaxProblemText('deploy/pod.yaml', firstProblem(text));

    expect(message).toBe(
      [
        'deploy/pod.yaml:6:1: Flow map in block collection must be sufficiently indented and end with a }',
        '  spec: {}',
        '  ^',
        '',
      ].join('\n'),
    );
  });

  it('keeps tabs before the column, so the caret stands under it', () => {
    const problem = { line: 2, column: 4, reason: 'bad', lineText: '\t\tx: y' };

    expect(syntaxProblemText('f', problem)).toBe('f:2:4: bad\n  \t\tx: y\n  \t\t ^\n');
  });

  it('shows a window of a long line around the column, marked where it is cut', () => {
    const lineText = `${'a'.repeat(500)}!${'b'.repeat(500)}`;

    const [, shown, caret] = syntaxProblemText('f', {
      line: 1,
      column: 501,
      reason: 'here',
      lineText,
    }).split('\n');

    expect(shown!.length).toBeLessThan(130);
    expect(shown).toMatch(/^ {2}…a+!b+…$/);
    expect(caret!.indexOf('^')).toBe(shown!.indexOf('!'));
  });

  it('replaces control characters of the file and the reason, and counts a surrogate pair as one', () => {
    const problem = {
      line: 1,
      column: 5,
      reason: 'odd \u001b[2J',
      lineText: '😀\u001b]0;x\u0007',
    };

    const [header, shown, caret] = syntaxProblemText('f', problem).split('\n');

    expect(header).toBe('f:1:5: odd \uFFFD[2J');
    expect(shown).toBe('  😀\uFFFD]0;x\uFFFD');
    expect(caret).toBe('  ' + ' '.repeat(3) + '^');
  });
});
