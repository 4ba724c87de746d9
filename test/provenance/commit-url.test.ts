import { commitUrl, revisionText } from '../../src/provenance/commit-url.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const GITHUB = `https://github.com/org/app/commit/${SHA}`;
const GITLAB = `https://gitlab.com/group/sub/app/-/commit/${SHA}`;

describe('commit-url', () => {
  it.each([
    ['https://github.com/org/app', GITHUB],
    ['https://github.com/org/app.git', GITHUB],
    ['https://github.com/org/app/', GITHUB],
    ['http://github.com/org/app', GITHUB],
    ['git+https://github.com/org/app.git', GITHUB],
    ['git@github.com:org/app.git', GITHUB],
    ['github.com:org/app', GITHUB],
    ['ssh://git@github.com/org/app.git', GITHUB],
    ['ssh://git@github.com:22/org/app.git', GITHUB],
    ['github.com/org/app', GITHUB],
    ['https://www.github.com/org/app', GITHUB],
    ['https://GitHub.com/org/app', GITHUB],
    ['https://github.com/org/app/tree/main', GITHUB],
    ['https://github.com/org/app.git#refs/heads/main', GITHUB],
    ['git@github.com:org/app.git#main', GITHUB],
    ['https://x-access-token:secret@github.com/org/app', GITHUB],
    ['https://gitlab.com/group/sub/app', GITLAB],
    ['https://gitlab.com/group/sub/app.git', GITLAB],
    ['git@gitlab.com:group/sub/app.git', GITLAB],
    ['https://gitlab.com/group/sub/app/-/tree/main', GITLAB],
  ])('links %s to its commit page', (source, expected) => {
    expect(commitUrl(source, SHA)).toBe(expected);
  });

  it.each([
    ['another forge', 'https://bitbucket.org/org/app'],
    ['a look-alike host', 'https://github.com.example.org/org/app'],
    ['another host of the forge', 'ssh://git@ssh.github.com:443/org/app.git'],
    ['credentials naming another host', 'https://github.com@example.org/org/app'],
    ['another port', 'https://github.com:8443/org/app'],
    ['an owner alone', 'https://github.com/org'],
    ['an escaped path', 'https://github.com/org/%2e%2e'],
    ['a parent segment', 'https://github.com/org/..'],
    ['a bare .git', 'https://github.com/org/.git'],
    ['a file URL', 'file:///github.com/org/app'],
    ['no repository at all', 'not a url'],
    ['an empty source', ''],
  ])('prints the revision as it is for %s', (_, source) => {
    expect(commitUrl(source, SHA)).toBeUndefined();
    expect(revisionText(source, SHA)).toBe(SHA);
  });

  it.each([
    ['a tag', 'v1.4.2'],
    ['a dirty tree', `${SHA}-dirty`],
    ['too short an abbreviation', 'abc123'],
    ['a branch', 'main'],
  ])('prints %s as it is, not as a commit', (_, revision) => {
    expect(revisionText('https://github.com/org/app', revision)).toBe(revision);
  });

  it('keeps an abbreviated commit and writes a SHA-256 one lower case', () => {
    const sha256 = 'A'.repeat(64);

    expect(commitUrl('https://github.com/org/app', 'a1b2c3d')).toBe(
      'https://github.com/org/app/commit/a1b2c3d',
    );
    expect(commitUrl('https://github.com/org/app', sha256)).toBe(
      `https://github.com/org/app/commit/${'a'.repeat(64)}`,
    );
  });

  it('has no link without a source', () => {
    expect(revisionText(undefined, SHA)).toBe(SHA);
  });
});
