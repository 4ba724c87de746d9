import type { LookupFunction } from 'node:net';
import {
  checkRealm,
  ForbiddenTargetError,
  guardedLookup,
  InsecureHosts,
  isLinkLocalAddress,
  registryOrigin,
} from '../../src/registry/target-guard.js';

function fakeLookup(addresses: readonly string[]): LookupFunction {
  return (_hostname, options, callback) => {
    const entries = addresses.map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
    if (options.all === true) callback(null, entries);
    else callback(null, entries[0]?.address ?? '', entries[0]?.family ?? 4);
  };
}

async function lookUp(lookup: LookupFunction, all: boolean): Promise<unknown> {
  return new Promise((resolve, reject) => {
    lookup('registry.test', { all }, (error, address) => {
      if (error === null) resolve(address);
      else reject(error);
    });
  });
}

describe('target-guard', () => {
  it.each([
    ['169.254.169.254', true],
    ['169.254.0.1', true],
    ['[fe80::1]', true],
    ['fe80::a9fe:a9fe', true],
    ['febf::1', true],
    ['::ffff:169.254.169.254', true],
    ['169.255.0.1', false],
    ['127.0.0.1', false],
    ['10.0.0.1', false],
    ['fec0::1', false],
    ['::1', false],
    ['metadata.google.internal', false],
  ])('says whether %s is link-local (%s)', (address, expected) => {
    expect(isLinkLocalAddress(address)).toBe(expected);
  });

  it.each([
    ['127.0.0.1:5000', ['127.0.0.1:5000'], true],
    ['127.0.0.1:5001', ['127.0.0.1:5000'], false],
    ['127.0.0.1:5001', ['127.0.0.1'], true],
    ['Registry.Local:80', ['registry.local:80'], true],
    ['registry.local', ['registry.local:80'], false],
    ['ghcr.io', [], false],
  ])('treats %s as insecure given %j: %s', (host, entries, expected) => {
    expect(new InsecureHosts(entries).has(host)).toBe(expected);
  });

  it.each([
    ['docker.io', [], 'https://registry-1.docker.io'],
    ['ghcr.io', [], 'https://ghcr.io'],
    ['localhost:5000', ['localhost:5000'], 'http://localhost:5000'],
    ['127.0.0.1:5000', [], 'https://127.0.0.1:5000'],
  ])('reaches registry %s (insecure %j) at %s', (registry, insecure, origin) => {
    expect(registryOrigin(registry, new InsecureHosts(insecure)).origin).toBe(origin);
  });

  it.each([
    ['https://auth.example.com/token', [], true],
    ['http://auth.example.com/token', [], false],
    ['http://127.0.0.1:7000/token', ['127.0.0.1:7000'], true],
    ['http://127.0.0.1:7000/token', ['127.0.0.1:5000'], true],
    ['http://127.0.0.1:7000/token', ['127.0.0.1'], true],
    ['http://127.0.0.1:7000/token', ['127.0.0.1:6000'], false],
    ['http://127.0.0.1:7000/token', ['localhost:5000'], false],
    ['https://169.254.169.254/latest/meta-data', ['127.0.0.1:5000'], false],
    ['http://169.254.169.254/latest/meta-data', ['127.0.0.1:5000'], false],
    ['https://[fe80::1]/token', [], false],
    ['https://0xa9.0xfe.0xa9.0xfe/token', [], false],
    ['ftp://auth.example.com/token', ['auth.example.com', '127.0.0.1:5000'], false],
    ['/token', [], false],
  ])(
    'accepts realm %s of registry 127.0.0.1:5000 (insecure %j): %s',
    (realm, insecure, accepted) => {
      const registry = { name: '127.0.0.1:5000', reachedOverHttp: false };
      const check = (): URL => checkRealm(realm, registry, new InsecureHosts(insecure));
      if (accepted) expect(check().href).toBe(new URL(realm).href);
      else expect(check).toThrow(ForbiddenTargetError);
    },
  );

  it.each([
    ['http://auth.lab:5001/token', true],
    ['https://auth.lab:5001/token', true],
    ['http://169.254.169.254/latest/meta-data', false],
    ['ftp://auth.lab/token', false],
  ])(
    'accepts realm %s of a registry reached over plain http, listed nowhere: %s',
    (realm, accepted) => {
      const registry = { name: 'registry.lab', reachedOverHttp: true };
      const check = (): URL => checkRealm(realm, registry, new InsecureHosts());
      if (accepted) expect(check().href).toBe(new URL(realm).href);
      else expect(check).toThrow(ForbiddenTargetError);
    },
  );

  it('names the flag that allows a refused http realm', () => {
    expect(() =>
      checkRealm(
        'http://auth.lab:5001/token',
        { name: 'registry.lab', reachedOverHttp: false },
        new InsecureHosts(),
      ),
    ).toThrow('realm must use https, not http (allow it with --insecure-registry auth.lab:5001)');
  });

  it('refuses a name when any of its addresses is link-local', async () => {
    const lookup = guardedLookup(fakeLookup(['10.0.0.1', '169.254.169.254']));
    await expect(lookUp(lookup, true)).rejects.toBeInstanceOf(ForbiddenTargetError);
  });

  it('refuses a name whose single address is link-local', async () => {
    const lookup = guardedLookup(fakeLookup(['fe80::1']));
    await expect(lookUp(lookup, false)).rejects.toBeInstanceOf(ForbiddenTargetError);
  });

  it('passes through a name resolving to ordinary addresses', async () => {
    const lookup = guardedLookup(fakeLookup(['127.0.0.1', '::1']));
    await expect(lookUp(lookup, true)).resolves.toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
    await expect(lookUp(lookup, false)).resolves.toBe('127.0.0.1');
  });

  it('passes resolution errors through', async () => {
    const failing: LookupFunction = (hostname, _options, callback) => {
      callback(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
        '',
        4,
      );
    };
    await expect(lookUp(guardedLookup(failing), false)).rejects.toThrow('ENOTFOUND');
  });
});
