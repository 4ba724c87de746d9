/**
 * Reading a BuildKit provenance attestation: an in-toto statement whose predicate is SLSA
 * provenance v0.2 (BuildKit's default) or v1 (`--provenance version=v1`). Which field holds what
 * is BuildKit's "SLSA definitions" page (docs/attestations/slsa-definitions.md):
 *
 * - the source: `configSource.uri` (a Git or HTTP build context, checked by BuildKit), else the
 *   `vcs.source` the build client sent (from a local checkout: a hint, not checked);
 * - the revision: `configSource.digest.sha1` (the commit of a Git context), else `vcs.revision`;
 * - the build: `builder.id` (the CI run's URL, when BuildKit knows it), else BuildKit's own
 *   invocation id;
 * - created: when the build finished.
 *
 * v0.2 keeps them at `predicate.invocation.configSource`, `predicate.builder.id`, and in
 * `predicate.metadata` (`buildInvocationID`, `buildFinishedOn`, and BuildKit's extension
 * `https://mobyproject.org/buildkit@v1#metadata`). v1 keeps them at
 * `predicate.buildDefinition.externalParameters.configSource`, `predicate.runDetails.builder.id`
 * and in `predicate.runDetails.metadata` (`invocationID`, `finishedOn`, and BuildKit's extension
 * as `buildkit_metadata`, or under the v0.2 key in BuildKit releases before that name).
 */
import { isJsonObject, parseJsonObject, type JsonObject } from '../lib/json-object.js';
import { fieldsOf, fieldValue, type ProvenanceFields } from './provenance.js';

export const SlsaPredicateTypes = {
  v02: 'https://slsa.dev/provenance/v0.2',
  v1: 'https://slsa.dev/provenance/v1',
} as const;

/** Whether an attestation layer's `in-toto.io/predicate-type` is SLSA provenance we read. */
export function isSlsaProvenance(predicateType: string | undefined): boolean {
  return predicateType === SlsaPredicateTypes.v02 || predicateType === SlsaPredicateTypes.v1;
}

const BUILDKIT_METADATA_V02 = 'https://mobyproject.org/buildkit@v1#metadata';
const BUILDKIT_METADATA_V1 = 'buildkit_metadata';

/** Where one SLSA version keeps what is read. */
interface Layout {
  readonly configSource: readonly string[];
  readonly builderId: readonly string[];
  readonly metadata: readonly string[];
  readonly invocationId: string;
  readonly finishedOn: string;
  readonly buildkitMetadata: readonly string[];
}

const LAYOUTS: ReadonlyMap<string, Layout> = new Map<string, Layout>([
  [
    SlsaPredicateTypes.v02,
    {
      configSource: ['invocation', 'configSource'],
      builderId: ['builder', 'id'],
      metadata: ['metadata'],
      invocationId: 'buildInvocationID',
      finishedOn: 'buildFinishedOn',
      buildkitMetadata: [BUILDKIT_METADATA_V02],
    },
  ],
  [
    SlsaPredicateTypes.v1,
    {
      configSource: ['buildDefinition', 'externalParameters', 'configSource'],
      builderId: ['runDetails', 'builder', 'id'],
      metadata: ['runDetails', 'metadata'],
      invocationId: 'invocationID',
      finishedOn: 'finishedOn',
      buildkitMetadata: [BUILDKIT_METADATA_V1, BUILDKIT_METADATA_V02],
    },
  ],
]);

/** An own property's value down `path`, or undefined where a step is missing or not an object. */
function valueAt(root: unknown, path: readonly string[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (!isJsonObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** The first value worth keeping as a field. */
function firstField(...values: readonly unknown[]): string | undefined {
  for (const value of values) {
    const text = fieldValue(value);
    if (text !== undefined) return text;
  }
  return undefined;
}

/**
 * The fields an attestation statement gives; none when it is not JSON, not a statement, or of a
 * predicate type other than SLSA provenance. Never throws.
 */
export function fieldsFromAttestation(bytes: Buffer): ProvenanceFields {
  const statement = parseJsonObject(bytes.toString('utf8'));
  const predicateType = valueAt(statement, ['predicateType']);
  const layout = typeof predicateType === 'string' ? LAYOUTS.get(predicateType) : undefined;
  const predicate = valueAt(statement, ['predicate']);
  if (layout === undefined || !isJsonObject(predicate)) return {};
  return fieldsOfPredicate(predicate, layout);
}

function fieldsOfPredicate(predicate: JsonObject, layout: Layout): ProvenanceFields {
  const configSource = valueAt(predicate, layout.configSource);
  const metadata = valueAt(predicate, layout.metadata);
  const vcs = layout.buildkitMetadata
    .map((key) => valueAt(metadata, [key, 'vcs']))
    .find(isJsonObject);
  return fieldsOf({
    source: firstField(valueAt(configSource, ['uri']), valueAt(vcs, ['source'])),
    revision: firstField(valueAt(configSource, ['digest', 'sha1']), valueAt(vcs, ['revision'])),
    created: firstField(valueAt(metadata, [layout.finishedOn])),
    build: firstField(
      valueAt(predicate, layout.builderId),
      valueAt(metadata, [layout.invocationId]),
    ),
  });
}
