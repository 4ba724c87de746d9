import {
  BUILT_IN_KINDS,
  DEFAULT_WORKLOAD_KINDS,
  KNOWN_CUSTOM_KINDS,
  workloadKinds,
} from '../../src/admission/workload-kinds.js';

describe('workload-kinds', () => {
  it.each([
    ['', 'Pod', []],
    ['', 'PodTemplate', ['template']],
    ['apps', 'StatefulSet', ['spec', 'template']],
    ['batch', 'CronJob', ['spec', 'jobTemplate', 'spec', 'template']],
    ['argoproj.io', 'Rollout', ['spec', 'template']],
    ['serving.knative.dev', 'Service', ['spec', 'template']],
    ['serving.knative.dev', 'Configuration', ['spec', 'template']],
    ['apps.kruise.io', 'CloneSet', ['spec', 'template']],
    ['apps.kruise.io', 'StatefulSet', ['spec', 'template']],
    ['apps.kruise.io', 'DaemonSet', ['spec', 'template']],
    ['keda.sh', 'ScaledJob', ['spec', 'jobTargetRef', 'template']],
  ])('finds the pod template of %s/%s without configuration', (group, kind, path) => {
    expect(DEFAULT_WORKLOAD_KINDS.templatePath({ group, kind })).toEqual(path);
  });

  it.each([
    ['', 'Service'],
    ['', 'ConfigMap'],
    ['example.com', 'Deployment'],
    ['argoproj.io', 'Workflow'],
    ['apps.kruise.io', 'SidecarSet'],
  ])('knows no pod template in %s/%s', (group, kind) => {
    expect(DEFAULT_WORKLOAD_KINDS.templatePath({ group, kind })).toBeUndefined();
  });

  it('tells a kind apart by its group, not its name alone', () => {
    const kinds = workloadKinds([
      { group: 'apps.kruise.io', kind: 'StatefulSet', templatePath: ['spec', 'other'] },
    ]);

    expect(kinds.templatePath({ group: 'apps.kruise.io', kind: 'StatefulSet' })).toEqual([
      'spec',
      'other',
    ]);
    expect(kinds.templatePath({ group: 'apps', kind: 'StatefulSet' })).toEqual([
      'spec',
      'template',
    ]);
  });

  it('adds a kind, lets a later rule for it win, and matches a rule without a group in any other group', () => {
    const kinds = workloadKinds([
      { group: 'example.com', kind: 'Widget', templatePath: ['spec', 'a'] },
      { group: 'example.com', kind: 'Widget', templatePath: ['spec', 'b'] },
      { group: undefined, kind: 'Gadget', templatePath: [] },
      { group: undefined, kind: 'Rollout', templatePath: ['spec', 'x'] },
    ]);

    expect(kinds.templatePath({ group: 'example.com', kind: 'Widget' })).toEqual(['spec', 'b']);
    expect(kinds.templatePath({ group: 'example.org', kind: 'Widget' })).toBeUndefined();
    expect(kinds.templatePath({ group: 'a.example', kind: 'Gadget' })).toEqual([]);
    expect(kinds.templatePath({ group: 'argoproj.io', kind: 'Rollout' })).toEqual([
      'spec',
      'template',
    ]);
    expect(kinds.templatePath({ group: 'example.com', kind: 'Rollout' })).toEqual(['spec', 'x']);
  });

  it('never lets a rule move the pod template of a built-in kind', () => {
    const kinds = workloadKinds(
      BUILT_IN_KINDS.map((rule) => ({ ...rule, templatePath: ['elsewhere'] })),
    );

    for (const { group, kind, templatePath } of BUILT_IN_KINDS) {
      expect(kinds.templatePath({ group: group ?? '', kind })).toEqual(templatePath);
    }
  });

  it('names no known custom kind after a built-in one of the same group', () => {
    const builtIn = new Set(BUILT_IN_KINDS.map(({ group, kind }) => `${group}/${kind}`));

    expect(KNOWN_CUSTOM_KINDS.filter(({ group, kind }) => builtIn.has(`${group}/${kind}`))).toEqual(
      [],
    );
  });
});
