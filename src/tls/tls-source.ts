/**
 * What the HTTPS server needs of wherever its certificate comes from (files, a certificate made
 * at start, the self-managed Secret): the certificate now, news of the next one, and its
 * listeners on node:events — `change` with each new certificate, `failure` with what kept one
 * from coming. Not `error`: node:events throws that when nobody listens, and a source that failed
 * keeps serving its current certificate whether anyone listens or not.
 */
import { EventEmitter } from 'node:events';

export interface TlsMaterial {
  readonly certPem: string;
  readonly keyPem: string;
  /** The CA to trust, when we made the certificate ourselves. */
  readonly caPem: string | undefined;
}

/** Where the webhook's serving certificate comes from, and how it tells of a new one. */
export interface TlsSource {
  readonly current: TlsMaterial;
  onChange(listener: (material: TlsMaterial) => void): void;
  /** A certificate that could not be loaded or renewed: the current one stays. */
  onError(listener: (error: unknown) => void): void;
  /** Starts noticing changes (file polling, renewal checks). */
  watch(): void;
  close(): void;
}

/** The listeners of a TlsSource. */
export class TlsEvents {
  readonly #emitter = new EventEmitter<{ change: [TlsMaterial]; failure: [unknown] }>();

  onChange(listener: (material: TlsMaterial) => void): void {
    this.#emitter.on('change', listener);
  }

  onError(listener: (error: unknown) => void): void {
    this.#emitter.on('failure', listener);
  }

  /**
   * Tells the change listeners. One that refuses the certificate (OpenSSL rejects what
   * X509Certificate accepts, a 512-bit key say) is reported as a failure; it never reaches the
   * caller, so that a renewal loop or a file poll goes on.
   */
  changed(material: TlsMaterial): void {
    try {
      this.#emitter.emit('change', material);
    } catch (error: unknown) {
      this.failed(error);
    }
  }

  failed(error: unknown): void {
    try {
      this.#emitter.emit('failure', error);
    } catch {
      // A failure listener that throws has nowhere left to report to.
    }
  }
}
