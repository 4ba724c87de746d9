import { loadConfig } from '../../src/config/load-config.js';
import { parsePodTemplateRule, POD_TEMPLATES } from '../../src/config/pod-template-value.js';
import { ConfigError } from '../../src/errors.js';

function configProblems(
  argv: readonly string[],
  env: Record<string, string> = {},
): readonly string[] {
  try {
    loadConfig('pin', argv, env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('pod-template-value', () => {
  it.each([
    ['Rollout.argoproj.io=spec.template', 'argoproj.io', 'Rollout', ['spec', 'template']],
    [
      'ScaledJob.keda.sh=spec.jobTargetRef.template',
      'keda.sh',
      'ScaledJob',
      ['spec', 'jobTargetRef', 'template'],
    ],
    ['Widget=spec.podTemplate', undefined, 'Widget', ['spec', 'podTemplate']],
    ['PodLike.x-1.example.com=.', 'x-1.example.com', 'PodLike', []],
    [' Widget.example.com = spec.t ', 'example.com', 'Widget', ['spec', 't']],
  ])('reads %j', (raw, group, kind, templatePath) => {
    expect(parsePodTemplateRule(raw)).toEqual({ group, kind, templatePath });
  });

  it.each([
    ['Rollout.argoproj.io', 'is not KIND[.GROUP]=PATH'],
    ['=spec.template', 'names no kind'],
    ['rollouts.argoproj.io=spec.template', '"rollouts" is lower-case'],
    ['Roll-out.example.com=spec', '"Roll-out" is not a kind'],
    ['Rollout.Argoproj.IO=spec.template', '"Argoproj.IO" is not an API group'],
    ['Rollout.argoproj..io=spec.template', '"argoproj..io" is not an API group'],
    ['Rollout.argoproj.io=', '"" is not a PATH'],
    ['Rollout.argoproj.io=spec..template', '"spec..template" is not a PATH'],
    ['Rollout.argoproj.io=spec.template.', '"spec.template." is not a PATH'],
    ['Rollout.argoproj.io=spec/template', '"spec/template" is not a PATH'],
    ['Rollout.argoproj.io=__proto__.spec', '"__proto__" is not a field a manifest can have'],
    ['Rollout.argoproj.io=spec.constructor', '"constructor" is not a field a manifest can have'],
    [
      'Deployment.apps=spec.template',
      'Deployment.apps is built in (Deployment.apps=spec.template)',
    ],
    [
      'CronJob.batch=spec.template',
      'CronJob.batch is built in (CronJob.batch=spec.jobTemplate.spec.template)',
    ],
  ])('refuses %j, saying why', (raw, why) => {
    expect(() => parsePodTemplateRule(raw)).toThrow(why);
  });

  it('reads every occurrence of the flag, and the variable as a comma-separated list', () => {
    const flags = loadConfig(
      'pin',
      ['--pod-template', 'A.example.com=spec.a', '--pod-template', 'B=spec.b'],
      {},
    ).config;
    const env = loadConfig('serve', [], {
      DIGEST_PINNER_POD_TEMPLATE: 'A.example.com=spec.a, B=spec.b',
    }).config;

    const expected = [
      { group: 'example.com', kind: 'A', templatePath: ['spec', 'a'] },
      { group: undefined, kind: 'B', templatePath: ['spec', 'b'] },
    ];
    expect(flags.podTemplates).toEqual(expected);
    expect(env.podTemplates).toEqual(expected);
    expect(loadConfig('krm', [], {}).config.podTemplates).toEqual([]);
  });

  it('names every bad value at once, under the flag and its variable', () => {
    expect(
      configProblems([
        '--pod-template',
        'rollout=spec',
        '--pod-template',
        'Ok.example.com=spec.t',
        '--pod-template',
        'X=a..b',
      ]),
    ).toEqual([
      '--pod-template (DIGEST_PINNER_POD_TEMPLATE): "rollout=spec": "rollout" is lower-case; a kind is written as manifests write it (Rollout, not rollouts); "X=a..b": "a..b" is not a PATH of field names separated by dots (or . for the object itself), e.g. spec.template',
    ]);
  });

  it('refuses one kind given two paths, and takes the same rule twice as once', () => {
    expect(() => POD_TEMPLATES.read(['W.example.com=spec.a', 'W.example.com=spec.b'])).toThrow(
      'W.example.com=spec.a and W.example.com=spec.b give one kind two paths',
    );
    expect(POD_TEMPLATES.read(['W.example.com=spec.a', 'W.example.com=spec.a'])).toEqual([
      { group: 'example.com', kind: 'W', templatePath: ['spec', 'a'] },
    ]);
  });

  it('is an option of serve, pin and krm only', () => {
    expect(configProblems(['--pod-template', 'A.b.c=spec'])).toEqual([]);
    expect(() => loadConfig('resolve', ['--pod-template', 'A.b.c=spec'], {})).toThrow(
      "--pod-template is a flag of 'serve', 'pin' and 'krm', not of 'resolve'",
    );
  });
});
