/**
 * What to serve, given what is stored: the stored certificates when they are sound and not due,
 * a new serving certificate from the stored CA when only it is due (or broken, or lacks a name),
 * and a new CA when the CA is due or unusable. A new CA joins the CAs still valid in the bundle
 * (and in the bundle this replica serves under, in case the Secret was deleted or overwritten)
 * instead of replacing them, so that a certificate from an old CA, which other replicas may still
 * serve until their next check, stays trusted through the overlap.
 */
import { createPrivateKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import {
  createCertificateAuthority,
  issueServingCertificate,
  type CertificateKeyPair,
} from './certificates.js';
import {
  dnsNamesOf,
  isExpired,
  parsePemCertificates,
  pemBundle,
  renewalDue,
  type CertificateSet,
  type PemCertificate,
  type StoredCertificates,
} from './certificate-set.js';

export interface RenewalPolicy {
  /** Subject of the serving certificate. */
  readonly commonName: string;
  /** Names the serving certificate must carry; one missing makes it due. */
  readonly dnsNames: readonly string[];
  readonly authorityValidityDays: number;
  readonly servingValidityDays: number;
  /** A certificate is renewed once less than this fraction of its lifetime is left. */
  readonly renewBeforeFraction: number;
}

export const DEFAULT_AUTHORITY_VALIDITY_DAYS = 3650;
export const DEFAULT_SERVING_VALIDITY_DAYS = 365;
export const DEFAULT_RENEW_BEFORE_FRACTION = 1 / 3;

export interface Reconciled {
  readonly set: CertificateSet;
  /** Why `set` differs from what is stored; `undefined` when the stored set is kept as is. */
  readonly change: string | undefined;
}

/** `svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`: how a Service is addressed. */
export function serviceDnsNames(serviceName: string, namespace: string): string[] {
  const inNamespace = `${serviceName}.${namespace}`;
  return [serviceName, inNamespace, `${inNamespace}.svc`, `${inNamespace}.svc.cluster.local`];
}

/**
 * `servedCaPem`: the CA bundle this replica serves under now, if it serves yet; its CAs stay
 * trusted when a new CA has to be made.
 */
export function reconcileCertificates(
  stored: StoredCertificates | undefined,
  policy: RenewalPolicy,
  now: Date,
  servedCaPem?: string,
): Reconciled {
  const served = validCas(parsePemCertificates(servedCaPem), now);
  if (stored === undefined) {
    const set = newAuthoritySet(distinct(served), policy, now);
    return { set, change: 'no certificates stored yet' };
  }
  const cas = parsePemCertificates(stored.trustedCaPem);
  const current = validCas(cas, now);
  const keptCas = distinct([...current, ...served]);
  const authority = findAuthority(current, stored.authorityKeyPem);
  if (authority === undefined) {
    const change = 'no CA of the bundle matches the stored CA key: new CA';
    return { set: newAuthoritySet(keptCas, policy, now), change };
  }
  const { renewBeforeFraction } = policy;
  const authorityDue = renewalDue(
    authority.certificate,
    'CA certificate',
    renewBeforeFraction,
    now,
  );
  if (authorityDue !== undefined) {
    return { set: newAuthoritySet(keptCas, policy, now), change: `${authorityDue}: new CA` };
  }
  const trustedCaPem =
    current.length < cas.length
      ? pemBundle(current.map(({ pem }) => pem))
      : (stored.trustedCaPem ?? '');
  const servingProblem = servingCertificateProblem(stored, authority.certificate, policy, now);
  if (servingProblem !== undefined) {
    const serving = issueServing(authority.pair, policy, now);
    const change = `${servingProblem}: new serving certificate from the same CA`;
    return { set: { authority: authority.pair, trustedCaPem, serving }, change };
  }
  const serving = { certPem: stored.servingCertPem ?? '', keyPem: stored.servingKeyPem ?? '' };
  const change =
    trustedCaPem === stored.trustedCaPem ? undefined : 'expired CAs dropped from the CA bundle';
  return { set: { authority: authority.pair, trustedCaPem, serving }, change };
}

function validCas(cas: readonly PemCertificate[], now: Date): PemCertificate[] {
  return cas.filter(({ certificate }) => certificate.ca && !isExpired(certificate, now));
}

/** The PEM of each certificate once, first occurrence first. */
function distinct(cas: readonly PemCertificate[]): string[] {
  const byFingerprint = new Map<string, string>();
  for (const { pem, certificate } of cas) {
    if (!byFingerprint.has(certificate.fingerprint256)) {
      byFingerprint.set(certificate.fingerprint256, pem);
    }
  }
  return [...byFingerprint.values()];
}

interface Authority {
  readonly pair: CertificateKeyPair;
  readonly certificate: X509Certificate;
}

/** The CA of the bundle whose key is stored: the one that signs. */
function findAuthority(
  cas: readonly PemCertificate[],
  keyPem: string | undefined,
): Authority | undefined {
  const key = privateKey(keyPem);
  if (key === undefined || keyPem === undefined) return undefined;
  const found = cas.find(({ certificate }) => certificate.checkPrivateKey(key));
  return found === undefined
    ? undefined
    : { pair: { certPem: found.pem, keyPem }, certificate: found.certificate };
}

function servingCertificateProblem(
  stored: StoredCertificates,
  authority: X509Certificate,
  policy: RenewalPolicy,
  now: Date,
): string | undefined {
  const certificate = parsePemCertificates(stored.servingCertPem)[0]?.certificate;
  if (certificate === undefined) return 'no readable serving certificate';
  const key = privateKey(stored.servingKeyPem);
  if (key === undefined) return 'no readable serving key';
  if (!certificate.checkPrivateKey(key)) return 'serving key does not belong to its certificate';
  if (!usableForTls(stored.servingCertPem ?? '', stored.servingKeyPem ?? '')) {
    return 'serving certificate refused by OpenSSL (weak key or signature)';
  }
  if (!certificate.checkIssued(authority) || !certificate.verify(authority.publicKey)) {
    return 'serving certificate not signed by the stored CA';
  }
  const names = new Set(dnsNamesOf(certificate));
  const missing = policy.dnsNames.filter((name) => !names.has(name));
  if (missing.length > 0) return `serving certificate lacks ${missing.join(', ')}`;
  return renewalDue(certificate, 'serving certificate', policy.renewBeforeFraction, now);
}

/** Whether the TLS server would take the pair: it refuses some that X509Certificate accepts. */
function usableForTls(certPem: string, keyPem: string): boolean {
  try {
    createSecureContext({ cert: certPem, key: keyPem });
    return true;
  } catch {
    return false;
  }
}

function newAuthoritySet(
  keptCas: readonly string[],
  policy: RenewalPolicy,
  now: Date,
): CertificateSet {
  const authority = createCertificateAuthority({
    // Dated, so that the CAs of a rotation, side by side in one bundle, have different subjects.
    commonName: `digest-pinner CA ${now.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    validityDays: policy.authorityValidityDays,
    now,
  });
  return {
    authority,
    trustedCaPem: pemBundle([...keptCas, authority.certPem]),
    serving: issueServing(authority, policy, now),
  };
}

function issueServing(
  authority: CertificateKeyPair,
  policy: RenewalPolicy,
  now: Date,
): CertificateKeyPair {
  const { certPem, keyPem } = issueServingCertificate(authority, {
    commonName: policy.commonName,
    dnsNames: policy.dnsNames,
    validityDays: policy.servingValidityDays,
    now,
  });
  return { certPem, keyPem };
}

function privateKey(pem: string | undefined): KeyObject | undefined {
  if (pem === undefined) return undefined;
  try {
    return createPrivateKey(pem);
  } catch {
    return undefined;
  }
}
