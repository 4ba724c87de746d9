/**
 * GETs of content by digest (fetchManifest, fetchBlob) against a loopback registry double: the
 * bytes checked against the digest, bodies capped, storage redirects followed without the
 * registry's credentials.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RegistryCredential } from '../../src/credentials/credential.js';
import { parseImageReference } from '../../src/image/reference.js';
import { RegistryClient } from '../../src/registry/client.js';
import {
  DigestMismatchError,
  ManifestUnknownError,
  RegistryProtocolError,
} from '../../src/registry/errors.js';
import { startFaultRegistry, type FaultRegistry } from '../support/fault-registry.js';
import { buildImageManifest, sha256Digest } from '../support/image-push.js';

const FAST_RETRY = { attempts: 2, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 10 };
const blob = Buffer.from('{"config":{"Labels":{"org.opencontainers.image.revision":"abc"}}}');
const blobDigest = sha256Digest(blob);
const manifest = buildImageManifest({ seed: 'content-fetch' });
const credential: RegistryCredential = { username: 'robot', password: 's3cret', source: 'test' };
const basic = `Basic ${Buffer.from('robot:s3cret').toString('base64')}`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function registryWith(
  blobReply: (headers: IncomingHttpHeaders) => {
    status: number;
    headers?: Record<string, string>;
    body?: Buffer;
  },
): Promise<{ registry: FaultRegistry; client: RegistryClient }> {
  const registry = await startFaultRegistry({
    fault: (request) => {
      if (request.headers.authorization !== basic) {
        return { status: 401, headers: { 'www-authenticate': 'Basic realm="test"' } };
      }
      return request.path.includes('/blobs/') ? blobReply(request.headers) : undefined;
    },
  });
  registry.addManifest('app', 'v1', manifest);
  const client = new RegistryClient({
    insecureRegistries: [registry.host],
    retry: FAST_RETRY,
  });
  cleanups.push(
    () => registry.stop(),
    () => client.close(),
  );
  return { registry, client };
}

async function startStorage(body: Buffer): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    response.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const signal = () => AbortSignal.timeout(5000);

describe('registry client content fetches', () => {
  it('gets a manifest by digest with the credential, as stored', async () => {
    const { registry, client } = await registryWith(() => ({ status: 404 }));
    const reference = parseImageReference(`${registry.host}/app:v1`);

    const fetched = await client.fetchManifest(reference, manifest.digest, {
      credential,
      signal: signal(),
    });

    expect(fetched.bytes.equals(manifest.bytes)).toBe(true);
    expect(fetched.mediaType).toBe(manifest.mediaType);
  });

  it('gets a blob whose bytes hash to its digest', async () => {
    const { registry, client } = await registryWith(() => ({ status: 200, body: blob }));
    const reference = parseImageReference(`${registry.host}/app:v1`);

    const bytes = await client.fetchBlob(reference, blobDigest, { credential, signal: signal() });

    expect(bytes.equals(blob)).toBe(true);
    expect(registry.count('GET', `/v2/app/blobs/${blobDigest}`)).toBeGreaterThan(0);
  });

  it('refuses a blob whose bytes hash to another digest', async () => {
    const { registry, client } = await registryWith(() => ({
      status: 200,
      body: Buffer.from('something else'),
    }));
    const reference = parseImageReference(`${registry.host}/app:v1`);

    await expect(
      client.fetchBlob(reference, blobDigest, { credential, signal: signal() }),
    ).rejects.toBeInstanceOf(DigestMismatchError);
  });

  it('stops reading a blob larger than its cap', async () => {
    const big = Buffer.alloc(64 * 1024, 'a');
    const { registry, client } = await registryWith(() => ({ status: 200, body: big }));
    const reference = parseImageReference(`${registry.host}/app:v1`);

    await expect(
      client.fetchBlob(reference, sha256Digest(big), {
        credential,
        signal: signal(),
        maxBytes: 1024,
      }),
    ).rejects.toMatchObject({ name: 'RegistryProtocolError', detail: 'blob too large' });
  });

  it('follows a redirect to storage elsewhere without the registry credential', async () => {
    const storage = await startStorage(blob);
    const { registry, client } = await registryWith(() => ({
      status: 307,
      headers: { location: `${storage.url}/signed/${blobDigest}?sig=1` },
    }));
    const reference = parseImageReference(`${registry.host}/app:v1`);

    const bytes = await client.fetchBlob(reference, blobDigest, { credential, signal: signal() });

    expect(bytes.equals(blob)).toBe(true);
    expect(storage.seen).toHaveLength(1);
    expect(storage.seen[0]?.authorization).toBeUndefined();
  });

  it('refuses a redirect chain that does not end', async () => {
    const { registry, client } = await registryWith(() => ({
      status: 302,
      headers: { location: `/v2/app/blobs/${blobDigest}` },
    }));
    const reference = parseImageReference(`${registry.host}/app:v1`);

    await expect(
      client.fetchBlob(reference, blobDigest, { credential, signal: signal() }),
    ).rejects.toBeInstanceOf(RegistryProtocolError);
  });

  it('refuses a redirect to a scheme other than http(s)', async () => {
    const { registry, client } = await registryWith(() => ({
      status: 307,
      headers: { location: 'file:///etc/passwd' },
    }));
    const reference = parseImageReference(`${registry.host}/app:v1`);

    await expect(
      client.fetchBlob(reference, blobDigest, { credential, signal: signal() }),
    ).rejects.toMatchObject({ name: 'RegistryProtocolError', detail: 'blob redirect refused' });
  });

  it('reports a missing blob as the registry answered', async () => {
    const { registry, client } = await registryWith(() => ({
      status: 404,
      body: Buffer.from('{"errors":[{"code":"BLOB_UNKNOWN"}]}'),
    }));
    const reference = parseImageReference(`${registry.host}/app:v1`);

    await expect(
      client.fetchBlob(reference, blobDigest, { credential, signal: signal() }),
    ).rejects.toBeInstanceOf(ManifestUnknownError);
  });
});
