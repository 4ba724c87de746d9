/**
 * manifests/audit: the roles a person or CI job running `audit` and `history` is bound to. Each
 * is checked against the requests the commands really send, to the Kubernetes API double.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { runCli } from '../../src/cli/command-line.js';
import { KubeApiDouble, type KubeApiRequest } from '../support/kube-api.js';
import { seedWorkload, workloadFixture, WorkloadFixtures } from '../support/workload-fixtures.js';
import { findObject, kustomizeBuild, type ManifestObject } from './kustomize.js';
import { ruleAllows, type ResourceRequest } from './rbac.js';

const GROUPS: Readonly<Record<string, string>> = {
  pods: '',
  secrets: '',
  serviceaccounts: '',
  replicasets: 'apps',
  controllerrevisions: 'apps',
  deployments: 'apps',
  statefulsets: 'apps',
  daemonsets: 'apps',
  jobs: 'batch',
};

let objects: ManifestObject[];
beforeAll(() => {
  objects = kustomizeBuild('audit');
});

const rules = (name: string) => findObject(objects, ClusterRole, name).rules ?? [];
const allowedBy = (names: readonly string[], request: ResourceRequest) =>
  names.some((name) => rules(name).some((rule) => ruleAllows(rule, request)));

/** A request the double received, as the RBAC authorizer sees it. */
function asRbac(request: KubeApiRequest): ResourceRequest {
  const resource = request.resource ?? `unknown ${request.url}`;
  return { verb: request.verb ?? request.method, group: GROUPS[resource] ?? '?', resource };
}

describe('manifests/audit', () => {
  let api: KubeApiDouble;
  let directory: string;
  let kubeconfig: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-audit-rbac-'));
    api = await KubeApiDouble.start();
    kubeconfig = await api.writeKubeconfig(directory);
    api.addNamespace('team-a');
    for (const fixture of WorkloadFixtures) seedWorkload(api, workloadFixture(fixture));
    api.addPod({
      metadata: {
        name: 'job-pod',
        namespace: 'team-a',
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'Job', name: 'report-1', uid: 'j1', controller: true },
        ],
      },
      spec: {
        imagePullSecrets: [{ name: 'regcred' }],
        containers: [{ name: 'report', image: `127.0.0.1:1/report:1@sha256:${'7'.repeat(64)}` }],
      },
    });
  });

  afterAll(async () => {
    await api.stop();
    await rm(directory, { recursive: true, force: true });
  });

  /** The requests one run of the command line sent, and its exit code. */
  async function requestsOf(args: readonly string[]): Promise<ResourceRequest[]> {
    const before = api.requests.length;
    const code = await runCli([...args, '--kubeconfig', kubeconfig], {
      env: {},
      stdin: Readable.from([]),
      homeDir: directory,
      stdout: { write: () => true },
      stderr: { write: () => true },
      fileExists: () => true,
      tempDir: directory,
      shutdown: new AbortController().signal,
    });
    expect(code).toBe(0);
    return api.requests.slice(before).map(asRbac);
  }

  it('grants only get and list, and Secrets in the --check-tags role alone', () => {
    const verbs = ['digest-pinner-audit', 'digest-pinner-audit-check-tags'].flatMap((name) =>
      rules(name).flatMap((rule) => rule.verbs),
    );
    const secrets = { verb: 'get', group: '', resource: 'secrets', name: 'regcred' };

    expect(new Set(verbs)).toEqual(new Set(['get', 'list']));
    expect(allowedBy(['digest-pinner-audit'], secrets)).toBe(false);
    expect(allowedBy(['digest-pinner-audit-check-tags'], secrets)).toBe(true);
    expect(allowedBy(['digest-pinner-audit-check-tags'], { ...secrets, verb: 'list' })).toBe(false);
  });

  it.each([
    [['audit', '-n', 'team-a']],
    [['audit', '--all-namespaces']],
    [['history', 'deployment/web', '-n', 'team-a', '--chunk-size', '2']],
    [['history', 'sts/db', '-n', 'team-a']],
    [['history', 'ds/agent', '-n', 'team-a', '-o', 'json']],
  ])('lets %j make every request it makes with digest-pinner-audit alone', async (args) => {
    const requests = await requestsOf(args);

    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect([request, allowedBy(['digest-pinner-audit'], request)]).toEqual([request, true]);
    }
  });

  it('lets audit --check-tags read pull secrets with both roles bound', async () => {
    const requests = await requestsOf([
      'audit',
      '-n',
      'team-a',
      '--check-tags',
      '--resolve-timeout',
      '1s',
    ]);
    const both = ['digest-pinner-audit', 'digest-pinner-audit-check-tags'];

    expect(requests.map(({ resource }) => resource)).toContain('secrets');
    for (const request of requests) {
      expect([request, allowedBy(both, request)]).toEqual([request, true]);
    }
  });
});
