import { findPlatformEntry, parseIndexEntries } from '../../src/registry/manifest-index.js';
import {
  formatPlatform,
  parsePlatform,
  platformMatches,
  type Platform,
} from '../../src/registry/platform.js';

const digestA = `sha256:${'a'.repeat(64)}`;
const digestB = `sha256:${'b'.repeat(64)}`;

describe('platform', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    [' Linux/ARM/v7 ', { os: 'linux', architecture: 'arm', variant: 'v7' }],
  ])('parses %j', (text, expected) => {
    expect(parsePlatform(text)).toEqual(expected);
    expect(formatPlatform(parsePlatform(text))).toBe(text.trim().toLowerCase());
  });

  it.each(['linux', 'linux/', '/amd64', 'linux/arm/v7/x', 'linux/am d64', ''])(
    'refuses %j',
    (text) => {
      expect(() => parsePlatform(text)).toThrow(
        `"${text}" is not OS/ARCH or OS/ARCH/VARIANT (like linux/arm64)`,
      );
    },
  );

  it.each<[string, Platform, Platform, boolean]>([
    [
      'same os and architecture',
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'amd64' },
      true,
    ],
    [
      'another architecture',
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
      false,
    ],
    [
      'another os',
      { os: 'linux', architecture: 'amd64' },
      { os: 'windows', architecture: 'amd64' },
      false,
    ],
    [
      'arm64 meaning arm64/v8',
      { os: 'linux', architecture: 'arm64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
      true,
    ],
    [
      'arm64/v8 against a bare arm64 entry',
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
      { os: 'linux', architecture: 'arm64' },
      true,
    ],
    [
      'arm meaning arm/v7, not v6',
      { os: 'linux', architecture: 'arm' },
      { os: 'linux', architecture: 'arm', variant: 'v6' },
      false,
    ],
    [
      'an explicit variant',
      { os: 'linux', architecture: 'arm', variant: 'v6' },
      { os: 'linux', architecture: 'arm', variant: 'v6' },
      true,
    ],
    [
      'amd64 matching any variant',
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'amd64', variant: 'v3' },
      true,
    ],
  ])('matches %s', (_name, wanted, candidate, expected) => {
    expect(platformMatches(wanted, candidate)).toBe(expected);
  });
});

describe('manifest-index', () => {
  it('reads entries and picks the platform, skipping attestations', () => {
    const body = Buffer.from(
      JSON.stringify({
        manifests: [
          { digest: digestA, mediaType: 'm', platform: { os: 'unknown', architecture: 'unknown' } },
          {
            digest: digestB,
            mediaType: 'm',
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          },
        ],
      }),
    );
    const entries = parseIndexEntries(body) ?? [];
    expect(findPlatformEntry(entries, { os: 'linux', architecture: 'arm64' })?.digest).toBe(
      digestB,
    );
    expect(findPlatformEntry(entries, { os: 'linux', architecture: 's390x' })).toBeUndefined();
  });

  it('says a single manifest is not an index', () => {
    expect(parseIndexEntries(Buffer.from('{"schemaVersion":2,"layers":[]}'))).toBeUndefined();
  });

  it.each([
    ['not JSON', 'nope'],
    ['not an object', '[1]'],
    ['an entry without a valid digest', '{"manifests":[{"digest":"sha256:xyz"}]}'],
  ])('rejects %s', (_name, text) => {
    expect(() => parseIndexEntries(Buffer.from(text))).toThrow();
  });
});
