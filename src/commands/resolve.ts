/**
 * `digest-pinner resolve IMAGE...`: print each image pinned to the digest its registry serves
 * now, one line per argument, in the user's spelling. The same cache as the webhook, so
 * duplicate arguments cost one registry request.
 */
import type { Config } from '../config.js';
import type { Environment } from '../environment.js';
import { errorMessage } from '../errors.js';
import { parseImageReference, pinnedReference } from '../reference.js';
import { RegistryClient } from '../registry/client.js';
import { CachingResolver } from '../resolver.js';
import type { Keyring } from '../credentials/credential.js';
import { loadLocalDockerConfig, readRegistryCas } from './local-files.js';

export const ResolveExitCodes = { ok: 0, someFailed: 1, usage: 2 } as const;

export async function runResolve(
  config: Config,
  images: readonly string[],
  environment: Environment,
): Promise<number> {
  if (images.length === 0) {
    environment.stderr.write('digest-pinner resolve: name at least one IMAGE (see --help)\n');
    return ResolveExitCodes.usage;
  }
  const keyring = await loadKeyring(config, environment);
  const caCertificates = await readRegistryCas(config);
  const client = new RegistryClient({
    insecureRegistries: config.insecureRegistries,
    caCertificates,
  });
  const resolver = new CachingResolver({ client, fetchTimeoutMs: config.resolveTimeoutMs });
  try {
    const deadline = AbortSignal.any([
      AbortSignal.timeout(config.resolveTimeoutMs),
      environment.shutdown,
    ]);
    const lines = await Promise.all(
      images.map((image) => pinOne(image, { config, keyring, resolver, deadline })),
    );
    let failed = false;
    for (const line of lines) {
      if (line.ok) environment.stdout.write(`${line.text}\n`);
      else {
        failed = true;
        environment.stderr.write(`digest-pinner: ${line.text}\n`);
      }
    }
    return failed ? ResolveExitCodes.someFailed : ResolveExitCodes.ok;
  } finally {
    await client.close();
  }
}

interface PinContext {
  readonly config: Config;
  readonly keyring: Keyring;
  readonly resolver: CachingResolver;
  readonly deadline: AbortSignal;
}

async function pinOne(image: string, context: PinContext): Promise<{ ok: boolean; text: string }> {
  try {
    const reference = parseImageReference(image);
    if (reference.digest !== undefined) {
      return { ok: true, text: image };
    }
    const { digest } = await context.resolver.resolve(
      reference,
      context.keyring.lookup(reference),
      context.deadline,
      context.config.platform === undefined ? {} : { platform: context.config.platform },
    );
    return {
      ok: true,
      text: pinnedReference(reference, digest, { dropTag: context.config.noTag }),
    };
  } catch (error: unknown) {
    return { ok: false, text: `${image}: ${errorMessage(error)}` };
  }
}

async function loadKeyring(config: Config, environment: Environment): Promise<Keyring> {
  const local = await loadLocalDockerConfig(config, environment);
  for (const problem of local.problems) {
    environment.stderr.write(`digest-pinner: warning: ${problem}\n`);
  }
  return local.keyring;
}
