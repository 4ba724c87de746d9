/**
 * A docker config mounted for the whole cluster (`--docker-config` in cluster mode, from a
 * Secret): its credentials serve any pod's images, tried after the pod's own and the plugins',
 * as a node's own credentials are. The kubelet rewrites a Secret's mount when the Secret changes,
 * so the file is read again once the last read is older than the TTL; lookups that find it
 * older share that one read.
 */
import { systemClock, type Clock } from '../lib/clock.js';
import type { ImageReference } from '../image/reference.js';
import { loadDockerConfigFile, type DockerConfigFile } from './docker-config.js';
import type { ImageCredentials, ImageCredentialSource } from './provider.js';

export interface MountedDockerConfigOptions {
  readonly path: string;
  /** How long one read is used before the file is read again. */
  readonly ttlMs: number;
  readonly clock?: Clock;
}

export class MountedDockerConfig implements ImageCredentialSource {
  readonly #path: string;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  #file: DockerConfigFile;
  #readAt: number;
  #reading: Promise<void> | undefined;

  private constructor(options: MountedDockerConfigOptions, file: DockerConfigFile, readAt: number) {
    this.#path = options.path;
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock ?? systemClock;
    this.#file = file;
    this.#readAt = readAt;
  }

  /** Read once before anything runs, so that the start can say what it holds. */
  static async open(options: MountedDockerConfigOptions): Promise<MountedDockerConfig> {
    const clock = options.clock ?? systemClock;
    const readAt = clock.monotonic();
    return new MountedDockerConfig(options, await loadDockerConfigFile(options.path), readAt);
  }

  get path(): string {
    return this.#path;
  }

  /** How many entries the last read found. */
  get credentials(): number {
    return this.#file.entries.length;
  }

  /** What was wrong with the file at the last read (an unsupported credsStore, say). */
  get problems(): readonly string[] {
    return this.#file.problems;
  }

  async credentialsFor(reference: ImageReference): Promise<ImageCredentials> {
    if (!this.#fresh()) {
      this.#reading ??= this.#read().finally(() => {
        this.#reading = undefined;
      });
      await this.#reading;
    }
    return this.#lookup(reference);
  }

  /** What credentialsFor answers, while the last read is fresh; undefined once it must read. */
  cachedCredentialsFor(reference: ImageReference): ImageCredentials | undefined {
    return this.#fresh() ? this.#lookup(reference) : undefined;
  }

  #fresh(): boolean {
    return this.#clock.monotonic() - this.#readAt < this.#ttlMs;
  }

  #lookup(reference: ImageReference): ImageCredentials {
    return { credentials: this.#file.keyring.lookup(reference), problems: this.#file.problems };
  }

  async #read(): Promise<void> {
    const readAt = this.#clock.monotonic();
    this.#file = await loadDockerConfigFile(this.#path);
    this.#readAt = readAt;
  }
}
