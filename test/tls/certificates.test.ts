import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import forge from 'node-forge';
import {
  certificateNotAfter,
  createCertificateAuthority,
  createSelfSignedServingCertificate,
  issueServingCertificate,
} from '../../src/tls/certificates.js';

const NOW = new Date('2026-11-23T12:00:00Z');

function publicKeyOf(keyPem: string): string {
  return createPublicKey(createPrivateKey(keyPem))
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

describe('certificates', () => {
  it('issues a serving certificate for the names asked, signed by the CA', () => {
    const authority = createCertificateAuthority({
      commonName: 'test CA',
      validityDays: 30,
      now: NOW,
    });

    const serving = issueServingCertificate(authority, {
      commonName: 'svc',
      dnsNames: ['svc', 'svc.ns.svc'],
      ipAddresses: ['127.0.0.1'],
      validityDays: 7,
      now: NOW,
    });

    const certificate = new X509Certificate(serving.certPem);
    const ca = new X509Certificate(authority.certPem);
    expect(ca.ca).toBe(true);
    expect(certificate.ca).toBe(false);
    expect(certificate.checkIssued(ca)).toBe(true);
    expect(certificate.verify(ca.publicKey)).toBe(true);
    expect(certificate.subjectAltName).toBe('DNS:svc, DNS:svc.ns.svc, IP Address:127.0.0.1');
    expect(certificate.publicKey.export({ type: 'spki', format: 'pem' }).toString()).toBe(
      publicKeyOf(serving.keyPem),
    );
    expect(serving.caPem).toBe(authority.certPem);
    expect(certificateNotAfter(serving.certPem).getTime()).toBe(NOW.getTime() + 7 * 86_400_000);
  });

  it('makes a self-signed certificate that is its own trust anchor', () => {
    const serving = createSelfSignedServingCertificate({
      commonName: 'localhost',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
      validityDays: 1,
      now: NOW,
    });

    const certificate = new X509Certificate(serving.certPem);
    expect(serving.caPem).toBe(serving.certPem);
    expect(certificate.checkIssued(certificate)).toBe(true);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkHost('example.com')).toBeUndefined();
    expect(new Date(certificate.validFrom).getTime()).toBeLessThan(NOW.getTime());
  });

  it('signs each certificate to the byte as node-forge itself signs it', () => {
    const authority = createCertificateAuthority({
      commonName: 'test CA',
      validityDays: 3,
      now: NOW,
    });
    const serving = issueServingCertificate(authority, {
      commonName: 'svc',
      dnsNames: ['svc', 'svc.ns.svc'],
      ipAddresses: ['127.0.0.1'],
      validityDays: 2,
      now: NOW,
    });
    const selfSigned = createSelfSignedServingCertificate({
      commonName: 'localhost',
      dnsNames: ['localhost'],
      validityDays: 1,
      now: NOW,
    });
    /** The same certificate signed again by node-forge's JavaScript RSA with `signerKeyPem`. */
    const signedByForge = (certPem: string, signerKeyPem: string): string => {
      const certificate = forge.pki.certificateFromPem(certPem);
      certificate.sign(forge.pki.privateKeyFromPem(signerKeyPem), forge.md.sha256.create());
      return forge.pki.certificateToPem(certificate);
    };

    expect(authority.certPem).toBe(signedByForge(authority.certPem, authority.keyPem));
    expect(serving.certPem).toBe(signedByForge(serving.certPem, authority.keyPem));
    expect(selfSigned.certPem).toBe(signedByForge(selfSigned.certPem, selfSigned.keyPem));
    // And a different key gives a different certificate: the comparison sees the signature.
    expect(serving.certPem).not.toBe(signedByForge(serving.certPem, serving.keyPem));
  });

  // Random bytes led by two zero bytes once made a serial DER forbids, which OpenSSL refused.
  it.each([
    ['all zero', Buffer.alloc(16)],
    ['two zero bytes, then a low one', Buffer.from('00000f' + '11'.repeat(13), 'hex')],
    ['all one', Buffer.alloc(16, 0xff)],
  ])(
    'makes a serial OpenSSL reads, positive and 16 bytes long, from %s random bytes',
    (_name, bytes) => {
      const randomBytes = (): Buffer => Buffer.from(bytes);
      const authority = createCertificateAuthority({
        commonName: 'test CA',
        validityDays: 1,
        now: NOW,
        randomBytes,
      });
      const serving = issueServingCertificate(authority, {
        commonName: 'svc',
        dnsNames: ['svc'],
        validityDays: 1,
        now: NOW,
        randomBytes,
      });
      const selfSigned = createSelfSignedServingCertificate({
        commonName: 'localhost',
        dnsNames: ['localhost'],
        validityDays: 1,
        now: NOW,
        randomBytes,
      });

      for (const pem of [authority.certPem, serving.certPem, selfSigned.certPem]) {
        const { serialNumber } = new X509Certificate(pem);
        expect(serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
      }
      expect(
        new X509Certificate(serving.certPem).verify(
          new X509Certificate(authority.certPem).publicKey,
        ),
      ).toBe(true);
    },
  );

  it('gives every certificate a different serial and key', () => {
    const request = { commonName: 'x', dnsNames: ['x'], validityDays: 1 };
    const first = new X509Certificate(createSelfSignedServingCertificate(request).certPem);
    const second = new X509Certificate(createSelfSignedServingCertificate(request).certPem);

    expect(first.serialNumber).not.toBe(second.serialNumber);
    expect(first.fingerprint256).not.toBe(second.fingerprint256);
  });
});
