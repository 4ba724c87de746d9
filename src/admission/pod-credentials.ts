/**
 * The pull credentials one pod spec may use: its namespace, service account and
 * imagePullSecrets, handed to the credential provider. A provider that fails or is too slow
 * leaves the pod with no credentials and a problem to report, never without an answer.
 */
import { emptyKeyring } from '../credentials/credential.js';
import type {
  CredentialProvider,
  PodCredentials,
  PodCredentialSubject,
} from '../credentials/provider.js';
import { errorMessage } from '../errors.js';
import { beforeAbort } from './deadline.js';
import { arrayField, isJsonObject, stringField, type JsonObject } from '../lib/json-object.js';

export function credentialSubject(namespace: string, spec: JsonObject): PodCredentialSubject {
  const imagePullSecretNames = arrayField(spec, 'imagePullSecrets')
    .filter(isJsonObject)
    .map((reference) => stringField(reference, 'name'))
    .filter((name): name is string => name !== undefined && name.length > 0);
  const serviceAccountName = stringField(spec, 'serviceAccountName');
  return {
    namespace,
    // Absent or empty both mean the namespace's default account, which the provider supplies.
    serviceAccountName: serviceAccountName === '' ? undefined : serviceAccountName,
    imagePullSecretNames,
  };
}

export async function podCredentials(
  provider: CredentialProvider,
  subject: PodCredentialSubject,
  signal: AbortSignal,
): Promise<PodCredentials> {
  try {
    return await beforeAbort(() => provider.credentialsFor(subject, signal), signal);
  } catch (error: unknown) {
    const why = signal.aborted ? 'out of time' : errorMessage(error);
    return { keyring: emptyKeyring, problems: [`pull secrets unavailable: ${why}`] };
  }
}
