import { OwnerResolver, type OwnerReaders } from '../../src/audit/owners.js';
import type { JsonObject } from '../../src/lib/json-object.js';

function podOwnedBy(apiVersion: string, kind: string, name: string): JsonObject {
  return {
    metadata: {
      name: 'p',
      namespace: 'team-a',
      ownerReferences: [{ apiVersion, kind, name, uid: '1', controller: true }],
    },
  };
}

/** ReplicaSets and Jobs by name, each controlled by the owner given. */
function readers(owners: Record<string, { apiVersion: string; kind: string; name: string }>) {
  const read = ({ name }: { name: string }) => {
    const owner = owners[name];
    if (owner === undefined) return Promise.reject(new Error('not found'));
    return Promise.resolve({
      metadata: { name, ownerReferences: [{ ...owner, uid: '2', controller: true }] },
    });
  };
  return {
    apps: { readNamespacedReplicaSet: read },
    batch: { readNamespacedJob: read },
  } as unknown as OwnerReaders;
}

describe('owners', () => {
  it.each([
    [
      'a Rollout, through its ReplicaSet',
      podOwnedBy('apps/v1', 'ReplicaSet', 'checkout-6d4f'),
      { kind: 'Rollout', name: 'checkout' },
    ],
    [
      'a ScaledJob, through its Job',
      podOwnedBy('batch/v1', 'Job', 'worker-x2'),
      { kind: 'ScaledJob', name: 'worker' },
    ],
    [
      'a CloneSet, which owns its pods itself',
      podOwnedBy('apps.kruise.io/v1alpha1', 'CloneSet', 'web'),
      { kind: 'CloneSet', name: 'web' },
    ],
  ])('names %s', async (_case, pod, owner) => {
    const resolver = new OwnerResolver(
      readers({
        'checkout-6d4f': { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'checkout' },
        'worker-x2': { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', name: 'worker' },
      }),
    );

    expect(await resolver.ownerOf(pod)).toEqual(owner);
  });
});
