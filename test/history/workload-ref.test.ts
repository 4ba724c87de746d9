import { ConfigError } from '../../src/errors.js';
import { parseWorkloadRef, workloadText } from '../../src/history/workload-ref.js';

describe('workload-ref', () => {
  it.each([
    ['deployment/web', 'Deployment'],
    ['deployments/web', 'Deployment'],
    ['deploy/web', 'Deployment'],
    ['Deployment/web', 'Deployment'],
    ['deployments.apps/web', 'Deployment'],
    ['deployment.v1.apps/web', 'Deployment'],
    ['statefulset/web', 'StatefulSet'],
    ['sts/web', 'StatefulSet'],
    ['statefulsets.apps/web', 'StatefulSet'],
    ['daemonset/web', 'DaemonSet'],
    ['ds/web', 'DaemonSet'],
  ])('reads %s as a %s', (text, kind) => {
    expect(parseWorkloadRef(text)).toEqual({ kind, name: 'web' });
  });

  it('keeps a dotted name and prints the kind as kubectl does', () => {
    const ref = parseWorkloadRef('sts/db.v2');

    expect(workloadText(ref)).toBe('statefulset/db.v2');
  });

  it.each([
    ['no slash', 'web', /KIND\/NAME, e\.g\. deployment\/web; got "web"/],
    ['a kind without rollout history', 'cronjob/report', /"cronjob" has no rollout history/],
    ['a kind of another group', 'deployments.extensions/web', /has no rollout history/],
    ['an empty name', 'deployment/', /"" is not the name of a Deployment/],
    ['an upper-case name', 'deployment/Web', /"Web" is not the name/],
    ['a second slash', 'deployment/web/x', /"web\/x" is not the name/],
    ['an underscore', 'ds/node_agent', /"node_agent" is not the name/],
  ])('refuses %s as a command-line error', (_, text, message) => {
    let failure: unknown;
    try {
      parseWorkloadRef(text);
    } catch (error: unknown) {
      failure = error;
    }

    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).problems.join('\n')).toMatch(message);
  });
});
