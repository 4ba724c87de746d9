/**
 * Certificates for registry tests, written to files for programs that read paths
 * (docker-registry). Made by the webhook's own certificate code (src/tls/certificates.ts).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import {
  createCertificateAuthority,
  issueServingCertificate,
  type CertificateKeyPair,
} from '../../src/tls/certificates.js';

export interface ServingCertificateFiles {
  readonly certPem: string;
  readonly keyPem: string;
  /** The CA a client must trust (pass it as `caCertificates`). */
  readonly caPem: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface SigningCertificate {
  /** Self-signed RSA certificate: both the `x5c` of every token and the registry's root bundle. */
  readonly certPem: string;
  readonly keyPem: string;
  readonly certFile: string;
  /** The certificate's DER in base64, as a JWT `x5c` entry carries it. */
  readonly derBase64: string;
}

/** A serving certificate for 127.0.0.1 and localhost, signed by a fresh CA, in `directory`. */
export async function writeServingCertificate(directory: string): Promise<ServingCertificateFiles> {
  // A private CA and a certificate it issued, as a registry of one's own usually has.
  const authority = createCertificateAuthority({ commonName: 'test registry CA', validityDays: 1 });
  const certificate = issueServingCertificate(authority, {
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    validityDays: 1,
  });
  const certFile = join(directory, 'tls.crt');
  const keyFile = join(directory, 'tls.key');
  await writeFile(certFile, certificate.certPem);
  await writeFile(keyFile, certificate.keyPem, { mode: 0o600 });
  return { ...certificate, certFile, keyFile };
}

/** An RSA certificate to sign RS256 registry tokens with, in `directory`. */
export async function writeSigningCertificate(directory: string): Promise<SigningCertificate> {
  const { certPem, keyPem } = createCertificateAuthority({
    commonName: 'digest-pinner test token signer',
    validityDays: 1,
  });
  const certFile = join(directory, 'token-signer.crt');
  await writeFile(certFile, certPem);
  const derBase64 = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return { certPem, keyPem, certFile, derBase64 };
}

/**
 * A client certificate (extended key usage clientAuth) signed by a fresh CA, for registries that
 * require one (mutual TLS). The webhook never makes these, so they are made here.
 */
export function createClientCertificate(): CertificateKeyPair & { readonly caPem: string } {
  const authority = createCertificateAuthority({ commonName: 'test client CA', validityDays: 1 });
  const caCertificate = forge.pki.certificateFromPem(authority.certPem);
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(keys.publicKey);
  certificate.serialNumber = '01';
  certificate.validity.notBefore = new Date(Date.now() - 60_000);
  certificate.validity.notAfter = new Date(Date.now() + 86_400_000);
  certificate.setSubject([{ name: 'commonName', value: 'digest-pinner test client' }]);
  certificate.setIssuer(caCertificate.subject.attributes);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(authority.keyPem), forge.md.sha256.create());
  return {
    certPem: forge.pki.certificateToPem(certificate),
    keyPem: keys.privateKey,
    caPem: authority.certPem,
  };
}
