/**
 * mutate with a provenance source: what the pod template's digest-pinner.io/provenance
 * annotation holds after an admission, which lookups are made, with which credentials, and that
 * a warm admission stays synchronous.
 */
import { createHash } from 'node:crypto';
import jsonPatch from 'fast-json-patch';
import {
  mutate,
  type MutateDependencies,
  type MutationResult,
} from '../../src/admission/mutate.js';
import type { Keyring, RegistryCredential } from '../../src/credentials/credential.js';
import { StaticCredentialProvider } from '../../src/credentials/provider.js';
import type { ImageReference } from '../../src/image/reference.js';
import { PROVENANCE_ANNOTATION } from '../../src/provenance/annotation.js';
import type { Provenance } from '../../src/provenance/provenance.js';
import type { ProvenanceAnswer, ProvenanceSource } from '../../src/provenance/provenance-source.js';
import type { DigestResolver, Resolution } from '../../src/resolver/digest-resolver.js';
import {
  loadReview,
  podReview,
  podTemplateOf,
  toReview,
  withImages,
  type KubeDocument,
  type ReviewDocument,
} from '../support/fixtures.js';
import { DEFAULT_TEST_POLICY } from '../support/mutation-policy.js';

function digestOf(image: string): string {
  return `sha256:${createHash('sha256').update(image).digest('hex')}`;
}

/** Every tag resolves to digestOf(its tagged name); `warm` ones from cache, at once. */
class FakeResolver implements DigestResolver {
  constructor(private readonly warm: ReadonlySet<string> = new Set()) {}

  resolve(reference: ImageReference): Promise<Resolution> {
    return Promise.resolve({ digest: digestOf(reference.taggedName), result: 'miss' });
  }

  cached(reference: ImageReference): Resolution | undefined {
    return this.warm.has(reference.taggedName)
      ? { digest: digestOf(reference.taggedName), result: 'hit' }
      : undefined;
  }
}

/** Provenance by digest; known at once for `warm` digests, looked up (and recorded) otherwise. */
class FakeProvenance implements ProvenanceSource {
  readonly lookups: { digest: string; credentials: readonly RegistryCredential[] }[] = [];

  constructor(
    private readonly byDigest: ReadonlyMap<string, Provenance | undefined>,
    private readonly warm: ReadonlySet<string> = new Set(),
    private readonly late = false,
  ) {}

  known(_reference: ImageReference, digest: string): ProvenanceAnswer | undefined {
    return this.warm.has(digest) ? this.#answer(digest) : undefined;
  }

  lookup(
    _reference: ImageReference,
    digest: string,
    credentials: readonly RegistryCredential[],
  ): Promise<ProvenanceAnswer> {
    this.lookups.push({ digest, credentials });
    return Promise.resolve(this.late ? { state: 'late' } : this.#answer(digest));
  }

  #answer(digest: string): ProvenanceAnswer {
    return { state: 'known', provenance: this.byDigest.get(digest) };
  }
}

const APP = 'ghcr.io/org/app:1.4';
const SIDECAR = 'docker.io/library/envoy:1.31';
const APP_PROVENANCE: Provenance = {
  source: 'https://github.com/org/app',
  revision: 'a1b2c3d',
  build: 'https://github.com/org/app/actions/runs/7',
  version: '1.4',
  from: 'attestation',
};
const CREDENTIAL: RegistryCredential = { username: 'robot', password: 'pw', source: 'test' };
const KEYRING: Keyring = {
  lookup: (reference) => (reference.registry === 'ghcr.io' ? [CREDENTIAL] : []),
};

function deps(resolver: DigestResolver, provenance: ProvenanceSource): MutateDependencies {
  return {
    resolver,
    credentials: new StaticCredentialProvider(KEYRING),
    namespaces: { isOptedIn: () => true },
    policy: DEFAULT_TEST_POLICY,
    provenance,
  };
}

function patched(document: ReviewDocument, result: MutationResult): KubeDocument {
  const { patch } = result.response.response;
  const object = structuredClone(document.request.object!);
  if (patch === undefined) return object;
  const operations = JSON.parse(
    Buffer.from(patch, 'base64').toString('utf8'),
  ) as jsonPatch.Operation[];
  return jsonPatch.applyPatch(object, operations).newDocument;
}

function recorded(holder: { metadata?: { annotations?: Record<string, string> } }): unknown {
  const text = holder.metadata?.annotations?.[PROVENANCE_ANNOTATION];
  return text === undefined ? undefined : JSON.parse(text);
}

const appDigest = digestOf('ghcr.io/org/app:1.4');
const sidecarDigest = digestOf('docker.io/library/envoy:1.31');

describe('mutate with provenance', () => {
  it("records source, revision and build of each resolved container, looked up with the pod's credentials", async () => {
    const provenance = new FakeProvenance(
      new Map([
        [appDigest, APP_PROVENANCE],
        [sidecarDigest, undefined],
      ]),
    );
    const document = podReview('p1', [APP, SIDECAR]);

    const result = await mutate(toReview(document), deps(new FakeResolver(), provenance));

    expect(recorded(patched(document, result))).toEqual({
      c0: {
        source: APP_PROVENANCE.source,
        revision: APP_PROVENANCE.revision,
        build: APP_PROVENANCE.build,
      },
    });
    expect(provenance.lookups).toEqual([
      { digest: appDigest, credentials: [CREDENTIAL] },
      { digest: sidecarDigest, credentials: [] },
    ]);
  });

  it('answers a warm admission at once, from memory, without a lookup', () => {
    const warm = new Set([appDigest]);
    const provenance = new FakeProvenance(new Map([[appDigest, APP_PROVENANCE]]), warm);
    const document = podReview('p2', [APP]);

    const result = mutate(toReview(document), deps(new FakeResolver(new Set([APP])), provenance));

    expect(result).not.toBeInstanceOf(Promise);
    expect(recorded(patched(document, result as MutationResult))).toEqual({
      c0: {
        source: APP_PROVENANCE.source,
        revision: APP_PROVENANCE.revision,
        build: APP_PROVENANCE.build,
      },
    });
    expect(provenance.lookups).toEqual([]);
  });

  it('pins without the annotation when the provenance is not known in time', async () => {
    const provenance = new FakeProvenance(new Map([[appDigest, APP_PROVENANCE]]), new Set(), true);
    const document = podReview('p3', [APP]);

    const result = await mutate(toReview(document), deps(new FakeResolver(), provenance));

    const object = patched(document, result);
    expect(result.pinned).toBe(1);
    expect(recorded(object)).toBeUndefined();
  });

  it("records it on a workload's pod template, not on the workload", async () => {
    const provenance = new FakeProvenance(new Map([[appDigest, APP_PROVENANCE]]));
    const document = loadReview('deployment-create');
    const names = (podTemplateOf(document.request.object!).spec.containers ?? []).map(
      (container) => container.name,
    );
    withImages(document, Object.fromEntries(names.map((name) => [name, APP])));

    const result = await mutate(toReview(document), deps(new FakeResolver(), provenance));

    const object = patched(document, result);
    const entry = {
      source: APP_PROVENANCE.source,
      revision: APP_PROVENANCE.revision,
      build: APP_PROVENANCE.build,
    };
    expect(names.length).toBeGreaterThan(0);
    expect(recorded(podTemplateOf(object))).toEqual(
      Object.fromEntries(names.map((name) => [name, entry])),
    );
    expect(recorded(object)).toBeUndefined();
  });

  it('keeps the entry of a sticky container, replaces a re-pinned one and drops a stale one', async () => {
    const newApp = 'ghcr.io/org/app:1.5';
    const newDigest = digestOf(newApp);
    const provenance = new FakeProvenance(new Map([[newDigest, undefined]]));
    const stored = {
      sidecar: { revision: 'sidecar-rev' },
      app: { revision: 'old-app-rev' },
      gone: { revision: 'gone-rev' },
    };
    const oldPod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p4',
        namespace: 'default',
        annotations: { [PROVENANCE_ANNOTATION]: JSON.stringify(stored) },
      },
      spec: {
        containers: [
          { name: 'app', image: `${APP}@${appDigest}` },
          { name: 'sidecar', image: `${SIDECAR}@${sidecarDigest}` },
        ],
      },
    };
    const pod = structuredClone(oldPod);
    pod.spec.containers[0]!.image = newApp;
    pod.spec.containers[1]!.image = SIDECAR;
    const document = podReview('p4', []);
    document.request.operation = 'UPDATE';
    document.request.object = pod;
    document.request.oldObject = oldPod;

    const result = await mutate(toReview(document), deps(new FakeResolver(), provenance));

    expect(recorded(patched(document, result))).toEqual({ sidecar: { revision: 'sidecar-rev' } });
    expect(provenance.lookups.map(({ digest }) => digest)).toEqual([newDigest]);
  });

  it('adds no annotation on the ephemeralcontainers subresource', async () => {
    const provenance = new FakeProvenance(new Map());
    const document = loadReview('pod-ephemeralcontainers-update');

    const result = await mutate(toReview(document), deps(new FakeResolver(), provenance));

    expect(recorded(patched(document, result))).toEqual(recorded(document.request.object!));
    expect(provenance.lookups).toEqual([]);
  });
});
