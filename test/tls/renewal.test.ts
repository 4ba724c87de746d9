import { beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import {
  createCertificateAuthority,
  issueServingCertificate,
  type CertificateKeyPair,
} from '../../src/tls/certificates.js';
import type { StoredCertificates } from '../../src/tls/certificate-set.js';
import {
  reconcileCertificates,
  serviceDnsNames,
  type RenewalPolicy,
} from '../../src/tls/renewal.js';
import forge from 'node-forge';

const DAY_MS = 86_400_000;
const NOW = new Date('2030-06-01T00:00:00Z');
const POLICY: RenewalPolicy = {
  commonName: 'digest-pinner.digest-pinner-system.svc',
  dnsNames: serviceDnsNames('digest-pinner', 'digest-pinner-system'),
  authorityValidityDays: 3650,
  servingValidityDays: 365,
  renewBeforeFraction: 1 / 3,
};

function daysBeforeNow(days: number): Date {
  return new Date(NOW.getTime() - days * DAY_MS);
}

function authority(createdDaysAgo: number, validityDays = 3650): CertificateKeyPair {
  return createCertificateAuthority({
    commonName: `test CA ${createdDaysAgo}`,
    validityDays,
    now: daysBeforeNow(createdDaysAgo),
  });
}

function serving(
  signer: CertificateKeyPair,
  options: { issuedDaysAgo?: number; dnsNames?: readonly string[] } = {},
): CertificateKeyPair {
  const { certPem, keyPem } = issueServingCertificate(signer, {
    commonName: POLICY.commonName,
    dnsNames: options.dnsNames ?? POLICY.dnsNames,
    validityDays: 365,
    now: daysBeforeNow(options.issuedDaysAgo ?? 10),
  });
  return { certPem, keyPem };
}

/** A serving certificate X509Certificate accepts but a TLS server refuses: a 512-bit key. */
function weakServing(signer: CertificateKeyPair): CertificateKeyPair {
  const keys = forge.pki.rsa.generateKeyPair(512);
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = keys.publicKey;
  certificate.serialNumber = '01';
  certificate.validity.notBefore = daysBeforeNow(10);
  certificate.validity.notAfter = daysBeforeNow(-355);
  const issuer = forge.pki.certificateFromPem(signer.certPem);
  certificate.setSubject([{ name: 'commonName', value: POLICY.commonName }]);
  certificate.setIssuer(issuer.subject.attributes);
  certificate.setExtensions([
    { name: 'subjectAltName', altNames: POLICY.dnsNames.map((value) => ({ type: 2, value })) },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(signer.keyPem), forge.md.sha256.create());
  return {
    certPem: forge.pki.certificateToPem(certificate),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
  };
}

/** The DER of a PEM certificate: the same certificate whatever the line endings around it. */
function der(pem: string): Buffer {
  return new X509Certificate(pem).raw;
}

function stored(
  signer: CertificateKeyPair,
  pair: CertificateKeyPair,
  bundle = signer.certPem,
): StoredCertificates {
  return {
    servingCertPem: pair.certPem,
    servingKeyPem: pair.keyPem,
    trustedCaPem: bundle,
    authorityKeyPem: signer.keyPem,
  };
}

function certificates(bundle: string): X509Certificate[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map(
    (pem) => new X509Certificate(pem),
  );
}

describe('renewal', () => {
  let ca: CertificateKeyPair;
  let sound: CertificateKeyPair;
  let otherCa: CertificateKeyPair;

  beforeAll(() => {
    ca = authority(10);
    sound = serving(ca);
    otherCa = authority(10);
  });

  it('names the four ways a Service is addressed', () => {
    expect(serviceDnsNames('svc', 'ns')).toEqual([
      'svc',
      'svc.ns',
      'svc.ns.svc',
      'svc.ns.svc.cluster.local',
    ]);
  });

  it('makes a CA and a serving certificate from it when nothing is stored', () => {
    const { set, change } = reconcileCertificates(undefined, POLICY, NOW);

    const [trusted, ...others] = certificates(set.trustedCaPem);
    const servingCertificate = new X509Certificate(set.serving.certPem);
    expect(change).toBe('no certificates stored yet');
    expect(others).toEqual([]);
    expect(trusted!.raw).toEqual(der(set.authority.certPem));
    expect(servingCertificate.checkIssued(trusted!)).toBe(true);
    expect(servingCertificate.verify(trusted!.publicKey)).toBe(true);
  });

  it('keeps trusting the CA it serves under when nothing is stored any more', () => {
    const { set, change } = reconcileCertificates(undefined, POLICY, NOW, ca.certPem);

    const [kept, added, ...others] = certificates(set.trustedCaPem);
    expect(change).toBe('no certificates stored yet');
    expect(others).toEqual([]);
    expect(kept!.raw).toEqual(der(ca.certPem));
    expect(added!.raw).toEqual(der(set.authority.certPem));
  });

  it('keeps a sound stored set exactly as stored', () => {
    const { set, change } = reconcileCertificates(stored(ca, sound), POLICY, NOW);

    expect(change).toBeUndefined();
    expect(set.serving).toEqual(sound);
    expect(set.trustedCaPem).toBe(ca.certPem);
    expect(set.authority.keyPem).toBe(ca.keyPem);
    expect(der(set.authority.certPem)).toEqual(der(ca.certPem));
  });

  it.each<{ problem: string; store: () => StoredCertificates; change: RegExp }>([
    {
      problem: 'within the last third of its lifetime',
      store: () => stored(ca, serving(ca, { issuedDaysAgo: 250 })),
      change: /^serving certificate expires in 115 days, within its renewal window of 122:/,
    },
    {
      problem: 'expired',
      store: () => stored(ca, serving(ca, { issuedDaysAgo: 400 })),
      change: /^serving certificate expired/,
    },
    {
      problem: "paired with another certificate's key",
      store: () => ({ ...stored(ca, sound), servingKeyPem: serving(ca).keyPem }),
      change: /^serving key does not belong to its certificate/,
    },
    {
      problem: 'with a key OpenSSL refuses to serve (512-bit RSA)',
      store: () => stored(ca, weakServing(ca)),
      change: /^serving certificate refused by OpenSSL/,
    },
    {
      problem: 'signed by another CA',
      store: () => stored(ca, serving(otherCa)),
      change: /^serving certificate not signed by the stored CA/,
    },
    {
      problem: 'missing a Service name',
      store: () => stored(ca, serving(ca, { dnsNames: ['digest-pinner'] })),
      change: /^serving certificate lacks digest-pinner\.digest-pinner-system, /,
    },
    {
      problem: 'unreadable',
      store: () => ({ ...stored(ca, sound), servingCertPem: 'not a certificate' }),
      change: /^no readable serving certificate/,
    },
    {
      problem: 'without its key',
      store: () => ({ ...stored(ca, sound), servingKeyPem: undefined }),
      change: /^no readable serving key/,
    },
  ])(
    'issues a new serving certificate from the stored CA when the stored one is $problem',
    ({ store, change }) => {
      const result = reconcileCertificates(store(), POLICY, NOW);

      const renewed = new X509Certificate(result.set.serving.certPem);
      expect(result.change).toMatch(change);
      expect(result.change).toMatch(/new serving certificate from the same CA$/);
      expect(result.set.authority.keyPem).toBe(ca.keyPem);
      expect(result.set.trustedCaPem).toBe(ca.certPem);
      expect(renewed.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
      expect(renewed.validFrom).not.toBe(new X509Certificate(sound.certPem).validFrom);
    },
  );

  it('makes a new CA and keeps the old one in the bundle, first, when the CA nears its end', () => {
    const ageing = authority(7 * 365);

    const { set, change } = reconcileCertificates(stored(ageing, serving(ageing)), POLICY, NOW);

    const [kept, added, ...others] = certificates(set.trustedCaPem);
    expect(change).toMatch(
      /^CA certificate expires in 1095 days, within its renewal window of 1217: new CA$/,
    );
    expect(others).toEqual([]);
    expect(kept!.raw).toEqual(der(ageing.certPem));
    expect(added!.raw).toEqual(der(set.authority.certPem));
    expect(added!.subject).not.toBe(kept!.subject);
    expect(new X509Certificate(set.serving.certPem).checkIssued(added!)).toBe(true);
  });

  it('makes a new CA when no CA of the bundle matches the stored CA key', () => {
    const { set, change } = reconcileCertificates(
      { ...stored(ca, sound), authorityKeyPem: otherCa.keyPem },
      POLICY,
      NOW,
    );

    expect(change).toBe('no CA of the bundle matches the stored CA key: new CA');
    expect(set.authority.keyPem).not.toBe(otherCa.keyPem);
    expect(certificates(set.trustedCaPem)).toHaveLength(2);
  });

  it('drops expired CAs from the bundle and keeps the serving certificate', () => {
    const expired = authority(400, 365);
    const bundle = `${expired.certPem}\n${ca.certPem}\n`;

    const { set, change } = reconcileCertificates(stored(ca, sound, bundle), POLICY, NOW);

    expect(change).toBe('expired CAs dropped from the CA bundle');
    expect(set.serving).toEqual(sound);
    expect(certificates(set.trustedCaPem).map((certificate) => certificate.raw)).toEqual([
      der(ca.certPem),
    ]);
  });
});
