/**
 * X.509 certificates the webhook makes for itself: a CA and a serving certificate it signs.
 * Keys and signatures come from node:crypto (native and fast); node-forge builds the
 * certificates, which node:crypto cannot do.
 */
import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

// In node-forge (lib/x509.js), not in its type definitions: the TBSCertificate that
// certificate.sign would sign.
declare module 'node-forge' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace pki {
    function getTBSCertificate(certificate: Certificate): asn1.Asn1;
  }
}

export interface CertificateKeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ServingCertificate extends CertificateKeyPair {
  /** PEM of the CA that signed it: what a client (the API server's caBundle) must trust. */
  readonly caPem: string;
}

export interface CertificateRequest {
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly validityDays: number;
  readonly now?: Date;
  /** Where the serial number's bytes come from; node:crypto's by default. */
  readonly randomBytes?: (size: number) => Buffer;
}

const DAY_MS = 86_400_000;
// Backdated so that a client whose clock is slightly behind does not reject a new certificate.
const CLOCK_SKEW_MS = 5 * 60_000;

export function createCertificateAuthority(
  options: Pick<CertificateRequest, 'commonName' | 'validityDays' | 'now' | 'randomBytes'>,
): CertificateKeyPair {
  const keys = newRsaKeyPair();
  const subject = [{ name: 'commonName', value: options.commonName }];
  const certificate = newCertificate(keys.publicKey, options);
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signWithSha256(certificate, keys.privateKeyPem);
  return { certPem: forge.pki.certificateToPem(certificate), keyPem: keys.privateKeyPem };
}

export function issueServingCertificate(
  authority: CertificateKeyPair,
  request: CertificateRequest,
): ServingCertificate {
  const caCertificate = forge.pki.certificateFromPem(authority.certPem);
  const keys = newRsaKeyPair();
  const certificate = newCertificate(keys.publicKey, request);
  certificate.setSubject([{ name: 'commonName', value: request.commonName }]);
  certificate.setIssuer(caCertificate.subject.attributes);
  const altNames = subjectAltNames(request);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  signWithSha256(certificate, authority.keyPem);
  return {
    certPem: forge.pki.certificateToPem(certificate),
    keyPem: keys.privateKeyPem,
    caPem: authority.certPem,
  };
}

/**
 * A certificate that is its own CA, for running without any certificate files: clients trust it
 * by trusting itself (`caPem` is the certificate). One key pair and one signature instead of two
 * keeps the start fast.
 */
export function createSelfSignedServingCertificate(
  request: CertificateRequest,
): ServingCertificate {
  const keys = newRsaKeyPair();
  const certificate = newCertificate(keys.publicKey, request);
  const subject = [{ name: 'commonName', value: request.commonName }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    {
      name: 'keyUsage',
      digitalSignature: true,
      keyEncipherment: true,
      keyCertSign: true,
      critical: true,
    },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: subjectAltNames(request) },
    { name: 'subjectKeyIdentifier' },
  ]);
  signWithSha256(certificate, keys.privateKeyPem);
  const certPem = forge.pki.certificateToPem(certificate);
  return { certPem, keyPem: keys.privateKeyPem, caPem: certPem };
}

function subjectAltNames(
  request: CertificateRequest,
): { type: number; value?: string; ip?: string }[] {
  return [
    ...request.dnsNames.map((value) => ({ type: 2, value })),
    ...(request.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
}

/** When the certificate in `certPem` stops being valid. */
export function certificateNotAfter(certPem: string): Date {
  return new Date(new X509Certificate(certPem).validTo);
}

function newCertificate(
  publicKey: forge.pki.PublicKey,
  options: Pick<CertificateRequest, 'validityDays' | 'now' | 'randomBytes'>,
): forge.pki.Certificate {
  const now = options.now ?? new Date();
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = publicKey;
  certificate.serialNumber = serialNumberHex((options.randomBytes ?? randomBytes)(16));
  certificate.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  certificate.validity.notAfter = new Date(now.getTime() + options.validityDays * DAY_MS);
  return certificate;
}

/**
 * A positive serial of 126 random bits whose first byte is 0x40 to 0x7f: never negative, and
 * never led by a zero byte. node-forge writes the serial's bytes as given, dropping at most one
 * leading zero, so random bytes starting 00 00 (one serial in 65,536) made an INTEGER that DER
 * forbids. OpenSSL refuses such a certificate ("illegal padding"); Node given it as a `ca` leaves
 * it out without a word, and the client then fails with "unable to verify the first certificate".
 */
function serialNumberHex(bytes: Buffer): string {
  const serial = Buffer.from(bytes);
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  return serial.toString('hex');
}

/**
 * What `certificate.sign(key, forge.md.sha256.create())` does, with the signature made by
 * OpenSSL: RSA PKCS #1 v1.5 is deterministic, so the certificate is the same to the byte, but
 * forge's JavaScript RSA was a visible part of the time a fresh process takes to be ready.
 * Unlike forge's, it leaves no digest on the object (`md`): nothing verifies with it, only its PEM
 * is kept.
 */
function signWithSha256(certificate: forge.pki.Certificate, privateKeyPem: string): void {
  const algorithm = forge.pki.oids.sha256WithRSAEncryption;
  if (algorithm === undefined) throw new Error('node-forge does not know sha256WithRSAEncryption');
  certificate.signatureOid = algorithm;
  certificate.siginfo.algorithmOid = algorithm;
  const tbsCertificate = forge.pki.getTBSCertificate(certificate);
  certificate.tbsCertificate = tbsCertificate;
  const tbsDer = Buffer.from(forge.asn1.toDer(tbsCertificate).getBytes(), 'binary');
  certificate.signature = sign('sha256', tbsDer, privateKeyPem).toString('binary');
}

function newRsaKeyPair(): {
  publicKey: forge.pki.rsa.PublicKey;
  privateKeyPem: string;
} {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    privateKeyPem: privateKey,
  };
}
