/**
 * The certificates self-managed TLS keeps together: the CA that signs (with its key, so that any
 * replica can renew), the bundle of every CA the API server is told to trust (the signing CA and,
 * during a CA rotation, the one before it), and the serving certificate with its key. Reading
 * what storage holds into certificates, and judging one against a renewal window, lives here;
 * deciding what to renew lives in renewal.ts.
 */
import { X509Certificate } from 'node:crypto';
import type { CertificateKeyPair } from './certificates.js';

export interface CertificateSet {
  /** Signs serving certificates. */
  readonly authority: CertificateKeyPair;
  /** PEM bundle of every CA to trust, the authority among them: the webhook's caBundle. */
  readonly trustedCaPem: string;
  readonly serving: CertificateKeyPair;
}

/** A set as found in storage, PEM text that may be missing, broken or not belong together. */
export interface StoredCertificates {
  readonly servingCertPem: string | undefined;
  readonly servingKeyPem: string | undefined;
  readonly trustedCaPem: string | undefined;
  readonly authorityKeyPem: string | undefined;
}

/** One certificate of a PEM bundle, with the exact text it was read from. */
export interface PemCertificate {
  readonly pem: string;
  readonly certificate: X509Certificate;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const DAY_MS = 86_400_000;

/** The certificates of a bundle that parse, in order; the others are dropped. */
export function parsePemCertificates(bundle: string | undefined): PemCertificate[] {
  const parsed: PemCertificate[] = [];
  for (const [pem] of (bundle ?? '').matchAll(PEM_CERTIFICATE)) {
    try {
      parsed.push({ pem, certificate: new X509Certificate(pem) });
    } catch {
      // A broken entry is left out: what remains is judged on its own.
    }
  }
  return parsed;
}

/** One bundle of PEM certificates, each on its own lines, duplicates dropped. */
export function pemBundle(certificates: readonly string[]): string {
  const blocks = certificates.flatMap((text) =>
    [...text.matchAll(PEM_CERTIFICATE)].map(([pem]) => pem),
  );
  return `${[...new Set(blocks)].join('\n')}\n`;
}

/** The DNS names of a certificate's subjectAltName. */
export function dnsNamesOf(certificate: X509Certificate): string[] {
  return (certificate.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice('DNS:'.length));
}

export function isExpired(certificate: X509Certificate, now: Date): boolean {
  return Date.parse(certificate.validTo) <= now.getTime();
}

/**
 * Why `certificate` must be replaced now, or `undefined`: it has expired, or less than
 * `renewBeforeFraction` of its lifetime is left.
 */
export function renewalDue(
  certificate: X509Certificate,
  what: string,
  renewBeforeFraction: number,
  now: Date,
): string | undefined {
  const notBefore = Date.parse(certificate.validFrom);
  const notAfter = Date.parse(certificate.validTo);
  const left = notAfter - now.getTime();
  if (left <= 0) return `${what} expired`;
  const window = (notAfter - notBefore) * renewBeforeFraction;
  if (left >= window) return undefined;
  const days = Math.floor(left / DAY_MS);
  return `${what} expires in ${days} days, within its renewal window of ${Math.ceil(window / DAY_MS)}`;
}
