/**
 * The image lock in front of a resolver: an image the lock lists is answered with its locked
 * digest and no registry request, the same in every replica that reads the same lock. The rest
 * go to the resolver behind (`prefer`), or fail with ImageNotLockedError (`require`), which
 * admission turns into an unpinned image under its failure policy.
 */
import type { LockPolicy } from '../config/config.js';
import type { RegistryCredential } from '../credentials/credential.js';
import { ImageNotLockedError } from '../errors.js';
import type { ImageReference } from '../image/reference.js';
import type { Platform } from '../registry/platform.js';
import type { DigestResolver, Resolution } from '../resolver/digest-resolver.js';
import type { ImageLock } from './image-lock.js';

/** Each lookup of the lock, hit or miss: a metric. */
export interface LockLookupObserver {
  lockLookup(hit: boolean): void;
}

/** A resolver that also takes a platform, as the caching resolver and the CLI's do. */
export interface PlatformResolver extends DigestResolver {
  resolve(
    reference: ImageReference,
    credentials: readonly RegistryCredential[],
    signal: AbortSignal,
    options?: { readonly platform?: Platform },
  ): Promise<Resolution>;
}

export interface LockedResolverOptions {
  /** The lock in use now: read on every lookup, so a reloaded lock applies at once. */
  readonly lock: () => ImageLock;
  readonly resolver: PlatformResolver;
  readonly policy: LockPolicy;
  readonly observer?: LockLookupObserver;
}

export class LockedResolver implements PlatformResolver {
  readonly #lock: () => ImageLock;
  readonly #resolver: PlatformResolver;
  readonly #policy: LockPolicy;
  readonly #observer: LockLookupObserver | undefined;

  constructor(options: LockedResolverOptions) {
    this.#lock = options.lock;
    this.#resolver = options.resolver;
    this.#policy = options.policy;
    this.#observer = options.observer;
  }

  async resolve(
    reference: ImageReference,
    credentials: readonly RegistryCredential[],
    signal: AbortSignal,
    options: { readonly platform?: Platform } = {},
  ): Promise<Resolution> {
    const locked = this.#locked(reference, options.platform);
    if (locked !== undefined) return locked;
    this.#observer?.lockLookup(false);
    if (this.#policy === 'require') throw new ImageNotLockedError(reference.taggedName);
    return this.#resolver.resolve(reference, credentials, signal, options);
  }

  /**
   * The locked digest at once; else, under `prefer`, what the cache behind holds fresh. A miss is
   * counted here only when the cache answers: otherwise resolve follows and counts it.
   */
  readonly cached = (
    reference: ImageReference,
    credentials: readonly RegistryCredential[],
  ): Resolution | undefined => {
    const locked = this.#locked(reference, undefined);
    if (locked !== undefined || this.#policy === 'require') return locked;
    const cached = this.#resolver.cached?.(reference, credentials);
    if (cached !== undefined) this.#observer?.lockLookup(false);
    return cached;
  };

  #locked(reference: ImageReference, platform: Platform | undefined): Resolution | undefined {
    const digest = this.#lock().digestOf(reference, platform);
    if (digest === undefined) return undefined;
    this.#observer?.lockLookup(true);
    return { digest, result: 'hit' };
  }
}
