import { fc, it } from '@fast-check/jest';
import { commitUrl, revisionText } from '../../src/provenance/commit-url.js';
import { hostileString, stringOf } from '../support/arbitraries.js';

const HEX = '0123456789abcdefABCDEF';
const NAME_CHARACTERS = 'abcxyzABC019_.-';

/** Sources as builders and attackers write them: the characters URL and scp-like forms use. */
const hostileSource = fc.oneof(
  hostileString(':/@.-_?#%\\+~ gitlabhubcom'),
  fc
    .tuple(
      fc.constantFrom('', 'git+', 'https://', 'http://', 'ssh://', 'git@', 'ssh://git@', '//'),
      fc.constantFrom('github.com', 'gitlab.com', 'GITHUB.COM', 'github.com.', 'github.com@evil'),
      fc.constantFrom('/', ':', ':22/', '\\', '/%2F', '/../'),
      hostileString('/.-_%?#@:abc'),
    )
    .map((parts) => parts.join('')),
);
const hostileRevision = fc.oneof(stringOf(HEX, 70), hostileString(`${HEX}-/ `));

/** A name GitHub and GitLab accept: a letter, digit or `_` first, never ending in `.git`. */
const repositoryName = fc
  .tuple(stringOf('abcXYZ019_', 1, 1), stringOf(NAME_CHARACTERS, 11))
  .map(([first, rest]) => first + rest)
  .filter((name) => !/\.git$/i.test(name));
const commit = fc.oneof(stringOf('0123456789abcdef', 40, 40), stringOf('0123456789abcdef', 64, 64));

describe('commit-url (generated)', () => {
  it.prop([fc.option(hostileSource, { nil: undefined }), hostileRevision])(
    'gives no link, or one rebuilt from checked parts: a forge commit page and nothing more',
    (source, revision) => {
      const link = commitUrl(source, revision);
      if (link === undefined) {
        expect(revisionText(source, revision)).toBe(revision);
        return;
      }
      const url = new URL(link);

      expect(url.href).toBe(link);
      expect(url.protocol).toBe('https:');
      expect(['github.com', 'gitlab.com']).toContain(url.host);
      expect(url.username + url.password + url.search + url.hash).toBe('');
      expect(url.pathname.endsWith(`/commit/${revision.toLowerCase()}`)).toBe(true);
      for (const segment of url.pathname.split('/').slice(1)) {
        expect(segment).toMatch(/^[A-Za-z0-9_.-]+$/);
        expect(['.', '..']).not.toContain(segment);
      }
      expect(revisionText(source, revision)).toBe(link);
    },
  );

  it.prop([
    repositoryName,
    repositoryName,
    commit,
    fc.constantFrom(
      (owner: string, name: string) => `https://github.com/${owner}/${name}`,
      (owner: string, name: string) => `git+https://github.com/${owner}/${name}.git`,
      (owner: string, name: string) => `git@github.com:${owner}/${name}.git`,
      (owner: string, name: string) => `ssh://git@github.com/${owner}/${name}`,
      (owner: string, name: string) => `github.com/${owner}/${name}/`,
    ),
  ])('links every spelling of a GitHub repository to the same page', (owner, name, sha, spell) => {
    expect(commitUrl(spell(owner, name), sha)).toBe(
      `https://github.com/${owner}/${name}/commit/${sha}`,
    );
  });

  it.prop([fc.array(repositoryName, { minLength: 2, maxLength: 4 }), commit, fc.boolean()])(
    'keeps every GitLab group of the path, with or without .git',
    (segments, sha, withGit) => {
      const path = segments.join('/');

      expect(commitUrl(`https://gitlab.com/${path}${withGit ? '.git' : ''}`, sha)).toBe(
        `https://gitlab.com/${path}/-/commit/${sha}`,
      );
    },
  );
});
