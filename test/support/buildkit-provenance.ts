/**
 * In-toto statements shaped as BuildKit writes them (docs/attestations/slsa-definitions.md), in
 * SLSA provenance v0.2 (its default) and v1 (`--provenance version=v1`), with the fields a test
 * names and the ones it does not care about as BuildKit fills them.
 */
import {
  buildAttestationManifest,
  buildImageManifest,
  pushBuiltIndex,
  type AttestationOptions,
  type BuiltManifest,
  type ImagePlatform,
  type PushedIndex,
  type PushTarget,
} from './image-push.js';

export interface BuildFacts {
  /** `configSource.uri`: the build context, for a Git context. */
  readonly contextUri?: string;
  /** `configSource.digest.sha1`: the context's commit. */
  readonly contextCommit?: string;
  /** BuildKit's `vcs` metadata, sent by the build client from a local checkout. */
  readonly vcs?: { readonly source?: string; readonly revision?: string };
  /** `builder.id`: the CI run's URL. */
  readonly builderId?: string;
  readonly invocationId?: string;
  readonly finishedOn?: string;
}

function subjectOf(subject: BuiltManifest): object[] {
  const platform = encodeURIComponent(
    `${subject.platform?.os ?? 'linux'}/${subject.platform?.architecture ?? 'amd64'}`,
  );
  return [
    {
      name: `pkg:docker/app@latest?platform=${platform}`,
      digest: { sha256: subject.digest.replace('sha256:', '') },
    },
  ];
}

function configSource(facts: BuildFacts, entryKey: 'entryPoint' | 'path'): object {
  return {
    ...(facts.contextUri === undefined ? {} : { uri: facts.contextUri }),
    ...(facts.contextCommit === undefined ? {} : { digest: { sha1: facts.contextCommit } }),
    [entryKey]: 'Dockerfile',
  };
}

function buildkitMetadata(facts: BuildFacts): object {
  return facts.vcs === undefined ? {} : { vcs: facts.vcs };
}

export function slsaV02Statement(subject: BuiltManifest, facts: BuildFacts): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType: 'https://slsa.dev/provenance/v0.2',
      subject: subjectOf(subject),
      predicate: {
        ...(facts.builderId === undefined ? {} : { builder: { id: facts.builderId } }),
        buildType: 'https://mobyproject.org/buildkit@v1',
        materials: [
          {
            uri: 'pkg:docker/alpine@3.20?platform=linux%2Famd64',
            digest: { sha256: '0'.repeat(64) },
          },
        ],
        invocation: {
          configSource: configSource(facts, 'entryPoint'),
          parameters: {
            frontend: 'dockerfile.v0',
            locals: [{ name: 'context' }, { name: 'dockerfile' }],
          },
          environment: { platform: 'linux/amd64' },
        },
        metadata: {
          ...(facts.invocationId === undefined ? {} : { buildInvocationID: facts.invocationId }),
          buildStartedOn: '2025-03-01T10:00:00Z',
          ...(facts.finishedOn === undefined ? {} : { buildFinishedOn: facts.finishedOn }),
          completeness: { parameters: false, environment: true, materials: false },
          reproducible: false,
          'https://mobyproject.org/buildkit@v1#metadata': buildkitMetadata(facts),
        },
      },
    }),
  );
}

export function slsaV1Statement(subject: BuiltManifest, facts: BuildFacts): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType: 'https://slsa.dev/provenance/v1',
      subject: subjectOf(subject),
      predicate: {
        buildDefinition: {
          buildType:
            'https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md',
          externalParameters: {
            configSource: configSource(facts, 'path'),
            request: { frontend: 'dockerfile.v0', args: {}, locals: [{ name: 'context' }] },
          },
          internalParameters: { builderPlatform: 'linux/amd64' },
          resolvedDependencies: [],
        },
        runDetails: {
          builder: facts.builderId === undefined ? {} : { id: facts.builderId },
          metadata: {
            ...(facts.invocationId === undefined ? {} : { invocationID: facts.invocationId }),
            startedOn: '2025-03-01T10:00:00Z',
            ...(facts.finishedOn === undefined ? {} : { finishedOn: facts.finishedOn }),
            buildkit_metadata: buildkitMetadata(facts),
            buildkit_completeness: { request: false, resolvedDependencies: false },
          },
        },
      },
    }),
  );
}

export interface BuildkitImage {
  readonly repository: string;
  readonly tag: string;
  /** linux/amd64 and linux/arm64 by default. */
  readonly platforms?: readonly ImagePlatform[];
  /** Each platform's attestation statement; none when absent (or when it answers undefined). */
  readonly statement?: (image: BuiltManifest) => Buffer | undefined;
  readonly attestation?: AttestationOptions;
  readonly labels?: Readonly<Record<string, string>>;
  readonly manifestAnnotations?: Readonly<Record<string, string>>;
  readonly indexAnnotations?: Readonly<Record<string, string>>;
}

export interface PushedBuildkitImage extends PushedIndex {
  /** The image manifest of each platform, by `os/architecture`. */
  readonly images: ReadonlyMap<string, BuiltManifest>;
}

/**
 * Pushes an index as `docker buildx build --push` leaves one: an image manifest per platform,
 * each followed by its attestation manifest, and the index over them all under `tag`.
 */
export async function pushBuildkitImage(
  target: PushTarget,
  image: BuildkitImage,
): Promise<PushedBuildkitImage> {
  const platforms = image.platforms ?? [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
  ];
  const images = new Map<string, BuiltManifest>();
  const children: BuiltManifest[] = [];
  for (const platform of platforms) {
    const manifest = buildImageManifest({
      platform,
      seed: `${image.repository}:${image.tag}`,
      ...(image.labels === undefined ? {} : { labels: image.labels }),
      ...(image.manifestAnnotations === undefined
        ? {}
        : { annotations: image.manifestAnnotations }),
    });
    images.set(`${platform.os}/${platform.architecture}`, manifest);
    children.push(manifest);
  }
  for (const manifest of [...children]) {
    const statement = image.statement?.(manifest);
    if (statement !== undefined) {
      children.push(buildAttestationManifest(manifest, statement, image.attestation));
    }
  }
  const pushed = await pushBuiltIndex(target, {
    repository: image.repository,
    tag: image.tag,
    children,
    ...(image.indexAnnotations === undefined ? {} : { annotations: image.indexAnnotations }),
  });
  return { ...pushed, images };
}
