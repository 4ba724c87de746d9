/**
 * The OCI keys for an image's origin (image-spec annotations.md), which builders write as
 * annotations on an index or a manifest (docker/metadata-action, `buildx --annotation`) and as
 * labels in the image config (`LABEL`, `BUILDX_GIT_LABELS=1`, Jib, ko `--image-label`).
 */
import { isJsonObject, objectAt, parseJsonObject, type JsonObject } from '../lib/json-object.js';
import { fieldsOf, type ProvenanceFields } from './provenance.js';

const OCI_KEYS = {
  source: 'org.opencontainers.image.source',
  revision: 'org.opencontainers.image.revision',
  created: 'org.opencontainers.image.created',
  version: 'org.opencontainers.image.version',
} as const;

/** The fields an annotation or label map holds under the OCI keys (no build: OCI has no key). */
export function fieldsFromOciKeys(map: unknown): ProvenanceFields {
  if (!isJsonObject(map)) return {};
  return fieldsOf({
    source: ownValue(map, OCI_KEYS.source),
    revision: ownValue(map, OCI_KEYS.revision),
    created: ownValue(map, OCI_KEYS.created),
    version: ownValue(map, OCI_KEYS.version),
  });
}

/** The fields of an image config's labels (`config.Labels`); none when it is not a config. */
export function fieldsFromConfig(bytes: Buffer): ProvenanceFields {
  const config = parseJsonObject(bytes.toString('utf8'));
  return fieldsFromOciKeys(config === undefined ? undefined : objectAt(config, ['config'])?.Labels);
}

function ownValue(map: JsonObject, key: string): unknown {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}
