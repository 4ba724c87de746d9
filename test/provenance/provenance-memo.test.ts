/**
 * The provenance memo over a content source in memory: one read per digest however many ask,
 * the read outliving a caller that stops waiting, credentials tried in turn, failures remembered
 * for a while and broken pieces left out for good.
 */
import type { RegistryCredential } from '../../src/credentials/credential.js';
import { parseImageReference, type ImageReference } from '../../src/image/reference.js';
import type { ContentOptions, ManifestContent } from '../../src/registry/client.js';
import {
  DigestMismatchError,
  RegistryUnauthorizedError,
  RegistryUnavailableError,
} from '../../src/registry/errors.js';
import { ProvenanceMemo } from '../../src/provenance/provenance-memo.js';
import type { ContentSource } from '../../src/provenance/provenance-reader.js';
import type { ProvenanceLookupResult } from '../../src/provenance/provenance-source.js';
import { slsaV02Statement } from '../support/buildkit-provenance.js';
import {
  buildAttestationManifest,
  buildImageManifest,
  buildIndexManifest,
  sha256Digest,
  type BuiltManifest,
} from '../support/image-push.js';

const reference = parseImageReference('registry.example/team/app:1.0');
const context = { registry: 'registry.example', repository: 'team/app' };
const CREDENTIAL: RegistryCredential = { username: 'robot', password: 'pw', source: 'test' };

/** A repository in memory; `gate` holds every answer until it is opened. */
class MemoryContent implements ContentSource {
  readonly asked: { digest: string; credential: RegistryCredential | undefined }[] = [];
  readonly #manifests = new Map<string, BuiltManifest>();
  readonly #blobs = new Map<string, Buffer>();
  #open: Promise<void> = Promise.resolve();
  #release: () => void = () => undefined;
  failWith: Error | undefined;
  /** Only this credential is let in, when set. */
  onlyFor: RegistryCredential | undefined;
  brokenBlob: string | undefined;

  add(...manifests: BuiltManifest[]): void {
    for (const manifest of manifests) {
      this.#manifests.set(manifest.digest, manifest);
      for (const blob of manifest.blobs) this.#blobs.set(sha256Digest(blob), blob);
    }
  }

  hold(): void {
    this.#open = new Promise((resolve) => (this.#release = resolve));
  }

  release(): void {
    this.#release();
  }

  async fetchManifest(
    _r: ImageReference,
    digest: string,
    options: ContentOptions,
  ): Promise<ManifestContent> {
    const manifest = await this.#answer(digest, options, () => this.#manifests.get(digest));
    return { bytes: manifest.bytes, mediaType: manifest.mediaType };
  }

  fetchBlob(_r: ImageReference, digest: string, options: ContentOptions): Promise<Buffer> {
    if (digest === this.brokenBlob) return Promise.reject(new DigestMismatchError('lies', context));
    return this.#answer(digest, options, () => this.#blobs.get(digest));
  }

  async #answer<T>(digest: string, options: ContentOptions, find: () => T | undefined): Promise<T> {
    this.asked.push({ digest, credential: options.credential });
    await this.#open;
    if (this.failWith !== undefined) throw this.failWith;
    if (this.onlyFor !== undefined && options.credential !== this.onlyFor) {
      throw new RegistryUnauthorizedError('unauthorized', context);
    }
    const found = find();
    if (found === undefined) throw new Error(`no ${digest}`);
    return found;
  }
}

function attestedImage(revision: string): {
  index: BuiltManifest;
  statement: Buffer;
  content: MemoryContent;
} {
  const subject = buildImageManifest({
    seed: revision,
    labels: { 'org.opencontainers.image.version': '1.0' },
  });
  const statement = slsaV02Statement(subject, { vcs: { revision } });
  const attestation = buildAttestationManifest(subject, statement);
  const index = buildIndexManifest('oci', [subject, attestation]);
  const content = new MemoryContent();
  content.add(subject, attestation, index);
  return { index, statement, content };
}

function observed(): {
  results: ProvenanceLookupResult[];
  observer: { provenanceLookup(result: ProvenanceLookupResult): void };
} {
  const results: ProvenanceLookupResult[] = [];
  return { results, observer: { provenanceLookup: (result) => results.push(result) } };
}

const signal = () => AbortSignal.timeout(5000);

describe('ProvenanceMemo', () => {
  it('reads a digest once for concurrent lookups, then answers from memory', async () => {
    const { index, content } = attestedImage('r1');
    const { results, observer } = observed();
    const memo = new ProvenanceMemo({ content, observer });

    const answers = await Promise.all([
      memo.lookup(reference, index.digest, [], signal()),
      memo.lookup(reference, index.digest, [], signal()),
    ]);
    const askedOnce = content.asked.length;

    expect(answers[0]).toEqual({
      state: 'known',
      provenance: { revision: 'r1', version: '1.0', from: 'attestation' },
    });
    expect(answers[1]).toBe(answers[0]);
    expect(memo.known(reference, index.digest)).toBe(answers[0]);
    expect(content.asked.length).toBe(askedOnce);
    expect(content.asked.filter(({ digest }) => digest === index.digest)).toHaveLength(1);
    expect(results).toEqual(['miss', 'miss', 'hit']);
  });

  it('answers late to a caller that stops waiting, and keeps what the read learns', async () => {
    const { index, content } = attestedImage('r2');
    const { results, observer } = observed();
    const memo = new ProvenanceMemo({ content, observer });
    content.hold();
    const caller = new AbortController();

    const waiting = memo.lookup(reference, index.digest, [], caller.signal);
    caller.abort();
    const answer = await waiting;
    content.release();
    await new Promise((resolve) => setTimeout(resolve, 10));

    expect(answer).toEqual({ state: 'late' });
    expect(memo.known(reference, index.digest)).toMatchObject({
      state: 'known',
      provenance: { revision: 'r2' },
    });
    expect(results).toEqual(['late', 'hit']);
  });

  it('tries the next credential when the registry refuses one', async () => {
    const { index, content } = attestedImage('r3');
    content.onlyFor = CREDENTIAL;
    const other: RegistryCredential = { username: 'other', password: 'x', source: 'test' };
    const memo = new ProvenanceMemo({ content });

    const answer = await memo.lookup(reference, index.digest, [other, CREDENTIAL], signal());

    expect(answer).toMatchObject({ state: 'known', provenance: { revision: 'r3' } });
    expect(content.asked[0]?.credential).toBe(other);
  });

  it('remembers a failed read for a while, as negative, then reads again', async () => {
    const { index, content } = attestedImage('r4');
    content.failWith = new RegistryUnavailableError('down', context);
    // lru-cache reads a start time of 0 as "no TTL".
    let now = 5000;
    const clock = { now: () => now, monotonic: () => now };
    const { results, observer } = observed();
    const memo = new ProvenanceMemo({ content, observer, clock, failureTtlMs: 1000 });

    const failed = await memo.lookup(reference, index.digest, [], signal());
    const remembered = memo.known(reference, index.digest);
    content.failWith = undefined;
    now += 1001;
    const read = await memo.lookup(reference, index.digest, [], signal());

    expect(failed.state).toBe('failed');
    expect(failed.state === 'failed' && failed.error).toBeInstanceOf(RegistryUnavailableError);
    expect(remembered).toBe(failed);
    expect(read).toMatchObject({ state: 'known', provenance: { revision: 'r4' } });
    expect(results).toEqual(['error', 'negative', 'miss']);
  });

  it('leaves out an attestation that does not hash to its digest, keeping the rest for good', async () => {
    const { index, statement, content } = attestedImage('r5');
    content.brokenBlob = sha256Digest(statement);
    const memo = new ProvenanceMemo({ content });

    const answer = await memo.lookup(reference, index.digest, [], signal());

    expect(answer).toEqual({
      state: 'known',
      provenance: { version: '1.0', from: 'config-labels' },
    });
  });

  it('keeps nothing a read learns after close', async () => {
    const { index, content } = attestedImage('r6');
    const memo = new ProvenanceMemo({ content });
    content.hold();

    const waiting = memo.lookup(reference, index.digest, [], signal());
    memo.close();
    content.release();
    await waiting;

    expect(memo.known(reference, index.digest)).toBeUndefined();
  });
});
