import { fc, it } from '@fast-check/jest';
import { describePodTemplateRule, isBuiltInKind } from '../../src/admission/workload-kinds.js';
import { parsePodTemplateRule } from '../../src/config/pod-template-value.js';

/** Text near the grammar: its own characters, more often than chance would give them. */
const nearGrammar = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '.',
      '=',
      '-',
      '_',
      ',',
      ' ',
      'R',
      'o',
      'a',
      '1',
      'spec',
      'template',
      '__proto__',
    ),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});

const kind = fc.oneof(
  fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,20}$/),
  fc.constantFrom('Deployment', 'StatefulSet', 'Job', 'CronJob'),
);
const group = fc.oneof(
  fc.array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/), {
    minLength: 1,
    maxLength: 4,
  }),
  fc.constantFrom(['apps'], ['batch']),
);
const field = fc
  .stringMatching(/^[A-Za-z0-9_-]{1,12}$/)
  .filter((name) => !(name in Object.prototype));
const path = fc.array(field, { minLength: 1, maxLength: 5 });

describe('pod-template-value (generated)', () => {
  it.prop([fc.oneof(nearGrammar, fc.string({ unit: 'binary' }))])(
    'reads any text as a rule that writes back to it, or refuses it with an Error quoting it',
    (raw) => {
      let rule;
      try {
        rule = parsePodTemplateRule(raw);
      } catch (error: unknown) {
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toContain(JSON.stringify(raw));
        return;
      }
      expect(parsePodTemplateRule(describePodTemplateRule(rule))).toEqual(rule);
      expect(rule.templatePath.every((field) => !(field in Object.prototype))).toBe(true);
    },
  );

  it.prop([kind, group, path])(
    'reads every well-formed KIND.GROUP=PATH as written, but a built-in kind',
    (kindName, labels, fields) => {
      const raw = `${kindName}.${labels.join('.')}=${fields.join('.')}`;

      if (isBuiltInKind(labels.join('.'), kindName)) {
        expect(() => parsePodTemplateRule(raw)).toThrow('is built in');
      } else {
        expect(parsePodTemplateRule(raw)).toEqual({
          group: labels.join('.'),
          kind: kindName,
          templatePath: fields,
        });
      }
    },
  );
});
