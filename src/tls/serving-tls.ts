/**
 * The webhook's serving certificate: read from files and re-read when they change (cert-manager
 * and kubelet secret mounts swap files in place), or made at start when no files are given.
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { createSelfSignedServingCertificate } from './certificates.js';
import { TlsEvents, type TlsMaterial, type TlsSource } from './tls-source.js';

export interface TlsFiles {
  readonly certPath: string;
  readonly keyPath: string;
}

const DEFAULT_POLL_INTERVAL_MS = 2000;

export class ServingTls implements TlsSource {
  #material: TlsMaterial;
  readonly #files: TlsFiles | undefined;
  readonly #events = new TlsEvents();
  #timer: NodeJS.Timeout | undefined;

  private constructor(material: TlsMaterial, files: TlsFiles | undefined) {
    this.#material = material;
    this.#files = files;
  }

  static async fromFiles(files: TlsFiles): Promise<ServingTls> {
    return new ServingTls(await readMaterial(files), files);
  }

  static selfSigned(options: {
    dnsNames: readonly string[];
    ipAddresses: readonly string[];
  }): ServingTls {
    const generated = createSelfSignedServingCertificate({
      commonName: options.dnsNames[0] ?? 'digest-pinner',
      dnsNames: options.dnsNames,
      ipAddresses: options.ipAddresses,
      validityDays: 365,
    });
    return new ServingTls(generated, undefined);
  }

  get current(): TlsMaterial {
    return this.#material;
  }

  get fromFilesystem(): boolean {
    return this.#files !== undefined;
  }

  onChange(listener: (material: TlsMaterial) => void): void {
    this.#events.onChange(listener);
  }

  onError(listener: (error: unknown) => void): void {
    this.#events.onError(listener);
  }

  /** Polls the files; a pair that does not load (half written, mismatched) keeps the old one. */
  watch(intervalMs: number = DEFAULT_POLL_INTERVAL_MS): void {
    const files = this.#files;
    if (files === undefined || this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.reload(files), intervalMs);
    this.#timer.unref();
  }

  async reload(files: TlsFiles | undefined = this.#files): Promise<boolean> {
    if (files === undefined) return false;
    try {
      const next = await readMaterial(files);
      if (next.certPem === this.#material.certPem && next.keyPem === this.#material.keyPem) {
        return false;
      }
      this.#material = next;
    } catch (error: unknown) {
      this.#events.failed(error);
      return false;
    }
    this.#events.changed(this.#material);
    return true;
  }

  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

async function readMaterial(files: TlsFiles): Promise<TlsMaterial> {
  const [cert, key] = await Promise.allSettled([
    readFile(files.certPath, 'utf8'),
    readFile(files.keyPath, 'utf8'),
  ]);
  // The certificate's problem first when both fail, whichever read failed sooner.
  if (cert.status === 'rejected') throw cert.reason;
  if (key.status === 'rejected') throw key.reason;
  const [certPem, keyPem] = [cert.value, key.value];
  // Throws when the key does not belong to the certificate or either is malformed.
  createSecureContext({ cert: certPem, key: keyPem });
  return { certPem, keyPem, caPem: undefined };
}
