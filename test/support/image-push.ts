/**
 * Pushing tiny images to a registry over its HTTP API, reproducible byte for byte: blobs by
 * monolithic upload (POST then PUT), then manifests. Builds OCI and Docker v2 manifests, OCI
 * indexes and Docker manifest lists from deterministic content, so each pushed manifest's digest
 * is known in advance: sha256 of exactly the bytes sent.
 *
 *   const image = await pushImage(registry.pushTarget, { repository: 'app', tag: 'v1' });
 *   image.digest // what a resolution of 127.0.0.1:PORT/app:v1 must return
 */
import { createHash } from 'node:crypto';
import { Agent, request, type Dispatcher } from 'undici';

export interface PushTarget {
  /** The registry's base URL, e.g. `http://127.0.0.1:5000`. */
  readonly url: string;
  /** The CA to trust for https. */
  readonly caPem?: string;
  /** Basic credentials, also used at a token realm. */
  readonly username?: string;
  readonly password?: string;
  /** Offered to a registry that requires a client certificate (mutual TLS). */
  readonly clientCertificate?: { readonly certPem: string; readonly keyPem: string };
}

export interface ImagePlatform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export type ManifestFormat = 'oci' | 'docker';

export interface BuiltManifest {
  readonly mediaType: string;
  /** The exact bytes pushed and served. */
  readonly bytes: Buffer;
  /** `sha256:` of `bytes`. */
  readonly digest: string;
  /** Blobs the manifest refers to (config and layer), to be pushed first. */
  readonly blobs: readonly Buffer[];
  readonly platform: ImagePlatform | undefined;
  /** The annotations of its entry in an index (an attestation manifest's, say). */
  readonly entryAnnotations?: Readonly<Record<string, string>>;
}

export interface ImageOptions {
  readonly format?: ManifestFormat;
  readonly platform?: ImagePlatform;
  /** Distinguishes content: two images with different seeds have different digests. */
  readonly seed?: string;
  /** Config labels besides `seed`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The manifest's own annotations (OCI only). */
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface PushImageOptions extends ImageOptions {
  readonly repository: string;
  /** Without a tag the manifest is pushed by digest only. */
  readonly tag?: string;
}

export interface PushIndexOptions {
  readonly repository: string;
  readonly tag: string;
  /** `oci` → OCI image index of OCI manifests; `docker` → manifest list of Docker v2 manifests. */
  readonly format?: ManifestFormat;
  /** Default linux/amd64 and linux/arm64/v8. */
  readonly platforms?: readonly ImagePlatform[];
  readonly seed?: string;
}

export interface PushedIndex extends BuiltManifest {
  readonly children: readonly BuiltManifest[];
}

const MEDIA = {
  oci: {
    index: 'application/vnd.oci.image.index.v1+json',
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
} as const;

const DEFAULT_PLATFORM: ImagePlatform = { os: 'linux', architecture: 'amd64' };

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function descriptor(mediaType: string, bytes: Buffer): Record<string, unknown> {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length };
}

/** An image manifest with a config and one layer; no I/O. */
export function buildImageManifest(options: ImageOptions = {}): BuiltManifest {
  const format = options.format ?? 'oci';
  const platform = options.platform ?? DEFAULT_PLATFORM;
  const seed = options.seed ?? 'digest-pinner';
  const media = MEDIA[format];
  // The registry checks blob digests only, never their contents: any bytes make a layer.
  const layer = Buffer.from(`layer of ${seed} for ${JSON.stringify(platform)}\n`);
  const config = Buffer.from(
    JSON.stringify({
      ...platform,
      config: { Labels: { seed, ...options.labels } },
      rootfs: { type: 'layers', diff_ids: [sha256Digest(layer)] },
    }),
  );
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: media.manifest,
      config: descriptor(media.config, config),
      layers: [descriptor(media.layer, layer)],
      ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
    }),
  );
  return {
    mediaType: media.manifest,
    bytes,
    digest: sha256Digest(bytes),
    blobs: [config, layer],
    platform,
  };
}

/** An index (or manifest list) over `children`, with its own `annotations` if given; no I/O. */
export function buildIndexManifest(
  format: ManifestFormat,
  children: readonly BuiltManifest[],
  annotations?: Readonly<Record<string, string>>,
): BuiltManifest {
  const mediaType = MEDIA[format].index;
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: children.map((child) => ({
        ...descriptor(child.mediaType, child.bytes),
        platform: child.platform ?? DEFAULT_PLATFORM,
        ...(child.entryAnnotations === undefined ? {} : { annotations: child.entryAnnotations }),
      })),
      ...(annotations === undefined ? {} : { annotations }),
    }),
  );
  return { mediaType, bytes, digest: sha256Digest(bytes), blobs: [], platform: undefined };
}

function basicHeader(target: PushTarget): string | undefined {
  if (target.username === undefined) return undefined;
  const pair = `${target.username}:${target.password ?? ''}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

/** One push conversation: a connection pool and the authorization the registry asked for. */
class PushSession {
  readonly #dispatcher: Dispatcher;
  readonly #target: PushTarget;
  readonly #repository: string;
  #authorization: string | undefined;

  constructor(target: PushTarget, repository: string) {
    this.#target = target;
    this.#repository = repository;
    const client = target.clientCertificate;
    this.#dispatcher = new Agent({
      connect: {
        ...(target.caPem === undefined ? {} : { ca: target.caPem }),
        ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }),
      },
    });
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async pushManifest(manifest: BuiltManifest, reference: string): Promise<void> {
    for (const blob of manifest.blobs) await this.#pushBlob(blob);
    await this.#send('PUT', `/v2/${this.#repository}/manifests/${reference}`, {
      body: manifest.bytes,
      contentType: manifest.mediaType,
      expect: 201,
    });
  }

  async #pushBlob(blob: Buffer): Promise<void> {
    const started = await this.#send('POST', `/v2/${this.#repository}/blobs/uploads/`, {
      expect: 202,
    });
    const location = new URL(started.location ?? '', this.#target.url);
    location.searchParams.set('digest', sha256Digest(blob));
    await this.#send('PUT', `${location.pathname}${location.search}`, {
      body: blob,
      contentType: 'application/octet-stream',
      expect: 201,
    });
  }

  async #send(
    method: 'POST' | 'PUT',
    path: string,
    options: { body?: Buffer; contentType?: string; expect: number },
  ): Promise<{ location: string | undefined }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = {};
      if (options.contentType !== undefined) headers['content-type'] = options.contentType;
      if (this.#authorization !== undefined) headers.authorization = this.#authorization;
      const url = new URL(path, this.#target.url);
      const response = await request(url, {
        method,
        headers,
        body: options.body ?? null,
        dispatcher: this.#dispatcher,
      });
      const text = await response.body.text();
      if (response.statusCode === options.expect) {
        const location = response.headers.location;
        return { location: Array.isArray(location) ? location[0] : location };
      }
      if (response.statusCode !== 401 || attempt > 0) {
        throw new Error(`push ${method} ${path}: ${response.statusCode} ${text.slice(0, 300)}`);
      }
      const challenge = response.headers['www-authenticate'];
      this.#authorization = await this.#answer(Array.isArray(challenge) ? challenge[0] : challenge);
    }
    throw new Error(`push ${method} ${path}: still unauthorized`);
  }

  /** Answers docker-registry's own challenges (known shapes, so a regular expression will do). */
  async #answer(challenge: string | undefined): Promise<string | undefined> {
    if (challenge?.startsWith('Basic') === true) return basicHeader(this.#target);
    const params = new Map(
      [...(challenge ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    const realm = new URL(params.get('realm') ?? '');
    realm.searchParams.set('service', params.get('service') ?? '');
    realm.searchParams.set('scope', `repository:${this.#repository}:pull,push`);
    const authorization = basicHeader(this.#target);
    const response = await request(realm, {
      headers: authorization === undefined ? {} : { authorization },
      dispatcher: this.#dispatcher,
    });
    const answer = (await response.body.json()) as { token?: string };
    if (response.statusCode !== 200 || answer.token === undefined) {
      throw new Error(`push: token request failed with ${response.statusCode}`);
    }
    return `Bearer ${answer.token}`;
  }
}

async function withSession<T>(
  target: PushTarget,
  repository: string,
  work: (session: PushSession) => Promise<T>,
): Promise<T> {
  const session = new PushSession(target, repository);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

/** Pushes one image manifest (and its blobs) under `tag`, or by digest when there is no tag. */
export async function pushImage(
  target: PushTarget,
  options: PushImageOptions,
): Promise<BuiltManifest> {
  const manifest = buildImageManifest({
    seed: `${options.repository}:${options.tag ?? ''}`,
    ...options,
  });
  await withSession(target, options.repository, (session) =>
    session.pushManifest(manifest, options.tag ?? manifest.digest),
  );
  return manifest;
}

export interface AttestationOptions {
  /** The layer's `in-toto.io/predicate-type`; SLSA provenance v0.2 by default. */
  readonly predicateType?: string;
  /** The size the layer's descriptor states, when it should not be the statement's own. */
  readonly statedSize?: number;
  /** The digest the layer's descriptor states, when it should not be the statement's own. */
  readonly statedDigest?: string;
}

/**
 * An attestation manifest as BuildKit writes one into an index: an OCI manifest whose layer is
 * the in-toto `statement`, its index entry on platform unknown/unknown and annotated as the
 * attestation of `subject`; no I/O. The statement is among its blobs, pushed with it.
 */
export function buildAttestationManifest(
  subject: BuiltManifest,
  statement: Buffer,
  options: AttestationOptions = {},
): BuiltManifest {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'unknown',
      os: 'unknown',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256Digest(statement)] },
    }),
  );
  const layer = {
    mediaType: 'application/vnd.in-toto+json',
    digest: options.statedDigest ?? sha256Digest(statement),
    size: options.statedSize ?? statement.length,
    annotations: {
      'in-toto.io/predicate-type': options.predicateType ?? 'https://slsa.dev/provenance/v0.2',
    },
  };
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.oci.manifest,
      config: descriptor(MEDIA.oci.config, config),
      layers: [layer],
    }),
  );
  return {
    mediaType: MEDIA.oci.manifest,
    bytes,
    digest: sha256Digest(bytes),
    blobs: [config, statement],
    platform: { os: 'unknown', architecture: 'unknown' },
    entryAnnotations: {
      'vnd.docker.reference.type': 'attestation-manifest',
      'vnd.docker.reference.digest': subject.digest,
    },
  };
}

/** Pushes `children` (by digest), then an OCI index over them under `tag`. */
export async function pushBuiltIndex(
  target: PushTarget,
  options: {
    readonly repository: string;
    readonly tag: string;
    readonly children: readonly BuiltManifest[];
    readonly annotations?: Readonly<Record<string, string>>;
  },
): Promise<PushedIndex> {
  const index = buildIndexManifest('oci', options.children, options.annotations);
  await withSession(target, options.repository, async (session) => {
    for (const child of options.children) await session.pushManifest(child, child.digest);
    await session.pushManifest(index, options.tag);
  });
  return { ...index, children: options.children };
}

/** Pushes one image per platform (by digest), then the index over them under `tag`. */
export async function pushIndex(
  target: PushTarget,
  options: PushIndexOptions,
): Promise<PushedIndex> {
  const format = options.format ?? 'oci';
  const platforms = options.platforms ?? [
    DEFAULT_PLATFORM,
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ];
  const seed = options.seed ?? `${options.repository}:${options.tag}`;
  const children = platforms.map((platform) => buildImageManifest({ format, platform, seed }));
  const index = buildIndexManifest(format, children);
  await withSession(target, options.repository, async (session) => {
    await Promise.all(children.map((child) => session.pushManifest(child, child.digest)));
    await session.pushManifest(index, options.tag);
  });
  return { ...index, children };
}
