import { readFileSync } from 'node:fs';
import { KNOWN_CUSTOM_KINDS } from '../../src/admission/workload-kinds.js';
import { envName } from '../../src/config/options.js';

const doc = readFileSync(new URL('../../docs/custom-kinds.md', import.meta.url), 'utf8');

describe('docs/custom-kinds.md', () => {
  it.each(KNOWN_CUSTOM_KINDS.map((rule) => [rule.kind, rule.group, rule.templatePath.join('.')]))(
    'lists the known kind %s of %s at %s',
    (kind, group, path) => {
      const escaped = (text: string) => text.replaceAll('.', '\\.');
      const row = new RegExp(
        `^\\| [^|]*\\b${kind} +\\| \`${escaped(group!)}\` +\\| \`${escaped(path)}\` +\\|$`,
        'm',
      );

      expect(doc).toMatch(row);
    },
  );

  it('lists no kind the table does not know', () => {
    const rows = [...doc.matchAll(/^\| [^|]+\| `([a-z.]+)` +\| `[^`]+` +\|$/gm)];

    expect(rows).toHaveLength(KNOWN_CUSTOM_KINDS.length);
  });

  it('documents --pod-template with its variable and functionConfig key', () => {
    expect(doc).toContain('`--pod-template KIND[.GROUP]=PATH`');
    expect(doc).toContain(`\`${envName('pod-template')}\``);
    expect(doc).toContain('`data.podTemplates`');
  });
});
