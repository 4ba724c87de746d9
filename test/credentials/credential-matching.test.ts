import { describe, expect, it } from '@jest/globals';
import {
  credentialKeyMatches,
  globMatches,
  MatchingKeyring,
  normalizeCredentialKey,
  type KeyedCredential,
} from '../../src/credentials/credential-matching.js';
import { parseImageReference } from '../../src/image/reference.js';

function entry(key: string, source: string, username = source): KeyedCredential {
  return { key, credential: { username, password: `${username}-password`, source } };
}

function sourcesFor(entries: readonly KeyedCredential[], image: string): string[] {
  return new MatchingKeyring(entries)
    .lookup(parseImageReference(image))
    .map((credential) => credential.source);
}

describe('credential-matching', () => {
  describe('normalizeCredentialKey', () => {
    it.each([
      ['registry.example.com', 'registry.example.com'],
      ['https://registry.example.com', 'registry.example.com'],
      ['http://registry.example.com/', 'registry.example.com'],
      ['https://index.docker.io/v1/', 'index.docker.io'],
      ['registry.example.com/v2/', 'registry.example.com'],
      ['registry.example.com/v2/team', 'registry.example.com/team'],
      ['registry.example.com/v1/team/app', 'registry.example.com/team/app'],
      ['registry.example.com/v3/team', 'registry.example.com/v3/team'],
      ['localhost:5000', 'localhost:5000'],
      ['quay.io/team/', 'quay.io/team/'],
    ])('gives %s the key %s when it is indexed', (key, expected) => {
      expect(normalizeCredentialKey(key)).toBe(expected);
    });

    it.each([[''], ['https://'], ['/v2/'], ['registry.example.com:http'], ['bad host.com']])(
      'rejects %j when it has no usable host',
      (key) => {
        expect(normalizeCredentialKey(key)).toBeUndefined();
      },
    );
  });

  describe('credentialKeyMatches', () => {
    it.each([
      // host components and globs
      ['registry.example.com', 'registry.example.com/team/app', true],
      ['registry.example.com', 'other.example.com/team/app', false],
      ['*.example.com', 'a.example.com/app', true],
      ['*.example.com', 'example.com/app', false],
      ['*.example.com', 'a.b.example.com/app', false],
      ['registry.*.com', 'registry.example.com/app', true],
      ['registry.example.*', 'registry.example.io/app', true],
      ['reg*.example.com', 'registry.example.com/app', true],
      ['reg*.example.com', 'cache.example.com/app', false],
      ['*.*.example.com', 'a.b.example.com/app', true],
      ['r?gistry.example.com', 'registry.example.com/app', true],
      ['r?gistry.example.com', 'rgistry.example.com/app', false],
      ['[a-c].example.com', 'b.example.com/app', true],
      ['[a-c].example.com', 'd.example.com/app', false],
      ['[^a-c].example.com', 'd.example.com/app', true],
      ['[a-.example.com', 'a.example.com/app', false],
      // ports must match exactly
      ['localhost:5000', 'localhost:5000/app', true],
      ['localhost:5000', 'localhost:5001/app', false],
      ['localhost', 'localhost:5000/app', false],
      ['localhost:5000', 'localhost/app', false],
      ['*.example.com:5000', 'a.example.com:5000/app', true],
      ['*.example.com:5000', 'a.example.com/app', false],
      ['127.0.0.1:5000', '127.0.0.1:5000/app', true],
      // a key's path is a string prefix of the image's path
      ['quay.io/team', 'quay.io/team/app', true],
      ['quay.io/team/app', 'quay.io/team/app', true],
      ['quay.io/team', 'quay.io/teammates/app', true],
      ['quay.io/team/', 'quay.io/teammates/app', false],
      ['quay.io/team', 'quay.io/other/app', false],
      ['quay.io/team/app/deeper', 'quay.io/team/app', false],
      // the Docker Hub name matches only keys spelled `docker.io` by host
      ['docker.io', 'docker.io/library/nginx', true],
      ['docker.io/library', 'docker.io/library/nginx', true],
      ['docker.io/someone', 'docker.io/library/nginx', false],
      ['index.docker.io', 'docker.io/library/nginx', false],
    ])('matches key %s against %s: %s', (key, image, expected) => {
      expect(credentialKeyMatches(key, image)).toBe(expected);
    });
  });

  describe('globMatches', () => {
    it.each([
      ['*', '', true],
      ['a*z', 'abcz', true],
      ['a\\*', 'a*', true],
      ['a\\*', 'ab', false],
      ['[\\]]', ']', true],
      ['[]', 'a', false],
      ['[z-a]', 'm', false],
      ['a.b', 'axb', false],
      ['x\\', 'x', false],
      ['*b*', 'abc', true],
      ['a*b*c', 'aXbYbZc', true],
      ['a*b*c', 'aXbYbZ', false],
      ['?', '', false],
      ['??', 'ab', true],
      ['*[0-9]', 'us9', true],
      ['*[^0-9]', 'us9', false],
    ])('matches pattern %j against %j: %s', (pattern, text, expected) => {
      expect(globMatches(pattern, text)).toBe(expected);
    });

    it('answers at once for a pattern that makes a backtracking matcher take minutes', () => {
      // A tenant controls both sides: the key in its pull secret and the image host in its pod.
      const pattern = `${'*a'.repeat(12)}*b`;
      const host = 'a'.repeat(60);

      expect(globMatches(pattern, host)).toBe(false);
      expect(globMatches(pattern, `${host}b`)).toBe(true);
      expect(credentialKeyMatches(`${pattern}.example.com`, `${host}.example.com/x`)).toBe(false);
    });
  });

  describe('MatchingKeyring', () => {
    it.each([
      ['https://index.docker.io/v1/', 'nginx:1.27', ['hub']],
      ['index.docker.io', 'nginx', ['hub']],
      ['index.docker.io/v1/', 'someone/app', ['hub']],
      ['docker.io', 'nginx', ['hub']],
      ['docker.io', 'docker.io/library/nginx@sha256:' + 'a'.repeat(64), ['hub']],
      ['registry-1.docker.io', 'nginx', []],
      ['https://index.docker.io/v1/', 'quay.io/someone/app', []],
      ['https://index.docker.io/v1/', 'localhost/app', []],
      ['https://quay.io', 'quay.io/someone/app:v1', ['hub']],
    ])('finds credentials under key %s for image %s: %j', (key, image, expected) => {
      expect(sourcesFor([entry(key, 'hub')], image)).toEqual(expected);
    });

    it('answers a name asked again as it did the first time, each keyring from its own entries', () => {
      const team = new MatchingKeyring([entry('registry.example.com/team', 'team')]);
      const host = new MatchingKeyring([entry('registry.example.com', 'host')]);
      const sources = (keyring: MatchingKeyring, image: string): string[] =>
        keyring.lookup(parseImageReference(image)).map((credential) => credential.source);

      const answer = team.lookup(parseImageReference('registry.example.com/team/app:1'));
      expect(() => {
        (answer as unknown[]).pop();
      }).toThrow(TypeError);
      for (let round = 0; round < 3; round++) {
        expect(sources(team, 'registry.example.com/team/app:1')).toEqual(['team']);
        expect(sources(team, 'registry.example.com/other/app:1')).toEqual([]);
        expect(sources(host, 'registry.example.com/team/app:1')).toEqual(['host']);
      }
      // Past what a keyring remembers, names are matched afresh, and alike.
      for (let index = 0; index < 300; index++) {
        expect(sources(team, `registry.example.com/team/app-${index}:1`)).toEqual(['team']);
      }
      expect(sources(team, 'registry.example.com/team/app:1')).toEqual(['team']);
      expect(sources(team, 'registry.example.com/other/app:1')).toEqual([]);
    });

    it('orders longer paths before their prefixes when several keys match', () => {
      const entries = [
        entry('quay.io', 'host'),
        entry('quay.io/team/app', 'repository'),
        entry('quay.io/team', 'namespace'),
      ];

      expect(sourcesFor(entries, 'quay.io/team/app:1')).toEqual([
        'repository',
        'namespace',
        'host',
      ]);
    });

    it('orders exact hosts before globs when both match', () => {
      const entries = [entry('*.example.com', 'glob'), entry('a.example.com', 'exact')];

      expect(sourcesFor(entries, 'a.example.com/app')).toEqual(['exact', 'glob']);
    });

    it('orders by key before secret order when secrets are combined', () => {
      const podSecret = entry('registry.example.com', 'pod secret');
      const serviceAccountSecret = entry('registry.example.com/team', 'service account secret');

      expect(
        sourcesFor([podSecret, serviceAccountSecret], 'registry.example.com/team/app'),
      ).toEqual(['service account secret', 'pod secret']);
    });

    it('keeps the given order when secrets share a key', () => {
      const entries = [
        entry('https://registry.example.com', 'first'),
        entry('registry.example.com', 'second'),
        entry('registry.example.com/v2/', 'third'),
      ];

      expect(sourcesFor(entries, 'registry.example.com/app')).toEqual(['first', 'second', 'third']);
    });

    it('returns a credential once when two secrets hold the same one', () => {
      const entries = [
        entry('registry.example.com', 'first', 'robot'),
        entry('registry.example.com', 'second', 'robot'),
      ];

      expect(sourcesFor(entries, 'registry.example.com/app')).toEqual(['first']);
    });

    it('uses the Docker Hub fallback only when no key matched directly', () => {
      const entries = [
        entry('https://index.docker.io/v1/', 'legacy'),
        entry('docker.io', 'modern'),
      ];

      expect(sourcesFor(entries, 'nginx')).toEqual(['modern']);
    });

    it('ignores keys without a host when built', () => {
      expect(
        sourcesFor([entry('https://', 'broken'), entry('quay.io', 'ok')], 'quay.io/a/b'),
      ).toEqual(['ok']);
    });

    it('matches nothing when empty', () => {
      expect(sourcesFor([], 'nginx')).toEqual([]);
    });
  });
});
