import { InvalidImageReferenceError } from '../../src/errors.js';
import { isDigest, parseImageReference, pinnedReference } from '../../src/image/reference.js';

const HEX = 'a'.repeat(64);
const DIGEST = `sha256:${HEX}`;
const OTHER_DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('reference', () => {
  describe('parseImageReference', () => {
    it.each([
      // [input, registry, repository, tag, digest]
      ['nginx', 'docker.io', 'library/nginx', undefined, undefined],
      ['nginx:1.27', 'docker.io', 'library/nginx', '1.27', undefined],
      ['library/nginx:1.27', 'docker.io', 'library/nginx', '1.27', undefined],
      ['docker.io/nginx', 'docker.io', 'library/nginx', undefined, undefined],
      ['docker.io/library/nginx', 'docker.io', 'library/nginx', undefined, undefined],
      ['index.docker.io/nginx:1', 'docker.io', 'library/nginx', '1', undefined],
      ['index.docker.io/team/app', 'docker.io', 'team/app', undefined, undefined],
      ['bitnami/redis:7.2', 'docker.io', 'bitnami/redis', '7.2', undefined],
      ['ghcr.io/org/app:v1', 'ghcr.io', 'org/app', 'v1', undefined],
      ['ghcr.io/app', 'ghcr.io', 'app', undefined, undefined],
      ['localhost/app', 'localhost', 'app', undefined, undefined],
      ['localhost:5000/app:dev', 'localhost:5000', 'app', 'dev', undefined],
      ['127.0.0.1:5000/a/b/c:x', '127.0.0.1:5000', 'a/b/c', 'x', undefined],
      ['[::1]:5000/app:1', '[::1]:5000', 'app', '1', undefined],
      ['[2001:db8::1]/app', '[2001:db8::1]', 'app', undefined, undefined],
      ['Registry/app', 'Registry', 'app', undefined, undefined],
      [
        'my-registry.example.com:443/team/app',
        'my-registry.example.com:443',
        'team/app',
        undefined,
        undefined,
      ],
      ['a.b-c.d/x', 'a.b-c.d', 'x', undefined, undefined],
      ['team/app.name', 'docker.io', 'team/app.name', undefined, undefined],
      ['team/app_name', 'docker.io', 'team/app_name', undefined, undefined],
      ['team/app__name', 'docker.io', 'team/app__name', undefined, undefined],
      ['team/app---name', 'docker.io', 'team/app---name', undefined, undefined],
      ['nginx:LATEST_tag-1.0', 'docker.io', 'library/nginx', 'LATEST_tag-1.0', undefined],
      ['nginx:_x', 'docker.io', 'library/nginx', '_x', undefined],
      [`nginx@${DIGEST}`, 'docker.io', 'library/nginx', undefined, DIGEST],
      [`nginx:1.27@${DIGEST}`, 'docker.io', 'library/nginx', '1.27', DIGEST],
      [
        `ghcr.io/a/b:t@sha512:${'b'.repeat(128)}`,
        'ghcr.io',
        'a/b',
        't',
        `sha512:${'b'.repeat(128)}`,
      ],
      [`nginx:${'t'.repeat(128)}`, 'docker.io', 'library/nginx', 't'.repeat(128), undefined],
    ])('parses %s', (input, registry, repository, tag, digest) => {
      const reference = parseImageReference(input);

      expect(reference.registry).toBe(registry);
      expect(reference.repository).toBe(repository);
      expect(reference.tag).toBe(tag);
      expect(reference.digest).toBe(digest);
      expect(reference.original).toBe(input);
    });

    it.each([
      ['', /empty/],
      [':tag', /name is empty/],
      ['nginx:', /tag must match/],
      ['nginx:-bad', /tag must match/],
      ['nginx:.bad', /tag must match/],
      [`nginx:${'t'.repeat(129)}`, /tag must match/],
      ['nginx:tag with space', /tag must match/],
      ['Nginx', /lowercase/],
      ['team/App', /lowercase/],
      ['ghcr.io/Org/app', /lowercase/],
      ['team//app', /empty component/],
      ['team/app/', /empty component/],
      ['/app', /invalid registry domain|empty component/],
      ['team/-app', /invalid repository path component/],
      ['team/app-', /invalid repository path component/],
      ['team/app..name', /invalid repository path component/],
      ['team/app___name', /invalid repository path component/],
      ['team/app._name', /invalid repository path component/],
      ['-bad.io/app', /invalid registry domain/],
      ['bad-.io/app', /invalid registry domain/],
      ['host:port/app', /invalid registry domain/],
      ['[::1/app', /invalid registry domain/],
      ['a..b/app', /invalid registry domain/],
      [HEX, /image ID/],
      [`nginx@${HEX}`, /algorithm:hex/],
      [`nginx@sha256:${HEX.slice(1)}`, /exactly 64 lowercase hex/],
      [`nginx@sha256:${HEX}a`, /exactly 64 lowercase hex/],
      [`nginx@sha256:${'A'.repeat(64)}`, /exactly 64 lowercase hex/],
      [`nginx@md5:${HEX}`, /unsupported digest algorithm/],
    ])('rejects %p with the problem', (input, problem) => {
      expect(() => parseImageReference(input)).toThrow(InvalidImageReferenceError);
      expect(() => parseImageReference(input)).toThrow(problem);
    });

    it('rejects a repository name longer than 255 characters, domain excluded', () => {
      const longestPath = `a/${'b'.repeat(253)}`;
      expect(parseImageReference(`registry.example.com/${longestPath}`).repository).toBe(
        longestPath,
      );

      expect(() => parseImageReference(`registry.example.com/${longestPath}c`)).toThrow(
        /256 characters, more than 255/,
      );
    });

    it('reports the position of the offending component', () => {
      const error = captureError(() => parseImageReference('ghcr.io/team/Bad:1'));

      expect(error).toBeInstanceOf(InvalidImageReferenceError);
      expect((error as InvalidImageReferenceError).position).toBe('ghcr.io/team/'.length);
      expect((error as InvalidImageReferenceError).code).toBe('IMAGE_REFERENCE_INVALID');
      expect((error as Error).message).toContain('"ghcr.io/team/Bad:1"');
    });

    it('hands back the reference it made for the same text, and refuses a bad text every time', () => {
      const text = 'registry.example.com/team/remembered:1.0';
      const first = parseImageReference(text);

      expect(parseImageReference(text)).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);
      expect(() => {
        (first as { tag: string | undefined }).tag = 'changed';
      }).toThrow(TypeError);
      expect(parseImageReference(text).tag).toBe('1.0');
      expect(parseImageReference(`${text}.1`)).not.toBe(first);
      expect(() => parseImageReference('Team/Bad:1')).toThrow(InvalidImageReferenceError);
      expect(() => parseImageReference('Team/Bad:1')).toThrow(InvalidImageReferenceError);
    });

    it('remembers a bounded number of texts, and none longer than any real image', () => {
      const long = `${'a'.repeat(600)}.example.com/app:1`;
      expect(parseImageReference(long)).not.toBe(parseImageReference(long));
      expect(parseImageReference(long).registry).toBe(`${'a'.repeat(600)}.example.com`);

      const oldest = 'registry.example.com/team/oldest:1';
      const kept = parseImageReference(oldest);
      for (let index = 0; index < 2000; index++) {
        parseImageReference(`registry.example.com/team/app-${index}:1`);
      }
      const again = parseImageReference(oldest);
      expect(again).not.toBe(kept);
      expect(again).toEqual(kept);
    });

    it('treats a colon before the last slash as a port, not a tag', () => {
      const reference = parseImageReference('localhost:5000/app');

      expect(reference.registry).toBe('localhost:5000');
      expect(reference.tag).toBeUndefined();
    });
  });

  describe('ImageReference', () => {
    it.each([
      ['nginx:1.27', 'docker.io/library/nginx:1.27'],
      ['nginx', 'docker.io/library/nginx'],
      ['index.docker.io/team/app:v1', 'docker.io/team/app:v1'],
      [`ghcr.io/a/b:t@${DIGEST}`, `ghcr.io/a/b:t@${DIGEST}`],
      ['localhost:5000/app', 'localhost:5000/app'],
    ])('prints %s fully qualified as %s', (input, expected) => {
      expect(parseImageReference(input).toString()).toBe(expected);
      expect(String(parseImageReference(input))).toBe(expected);
    });

    it('defaults the effective tag to latest', () => {
      expect(parseImageReference('nginx').effectiveTag).toBe('latest');
      expect(parseImageReference('nginx:1.27').effectiveTag).toBe('1.27');
    });

    it('names the image without tag or digest', () => {
      expect(parseImageReference(`nginx:1@${DIGEST}`).name).toBe('docker.io/library/nginx');
    });
  });

  describe('pinnedReference', () => {
    it.each([
      ['nginx:1.27', {}, `nginx:1.27@${OTHER_DIGEST}`],
      ['nginx:1.27', { dropTag: true }, `nginx@${OTHER_DIGEST}`],
      ['nginx', {}, `nginx@${OTHER_DIGEST}`],
      ['index.docker.io/nginx:1', {}, `index.docker.io/nginx:1@${OTHER_DIGEST}`],
      ['localhost:5000/app:dev', {}, `localhost:5000/app:dev@${OTHER_DIGEST}`],
      [`nginx:1.27@${DIGEST}`, {}, `nginx:1.27@${DIGEST}`],
      [`nginx@${DIGEST}`, { dropTag: true }, `nginx@${DIGEST}`],
    ])('pins %s with %p as %s', (input, options, expected) => {
      expect(pinnedReference(parseImageReference(input), OTHER_DIGEST, options)).toBe(expected);
    });

    it('produces a reference that parses back to the same name, tag and digest', () => {
      const reference = parseImageReference('ghcr.io/team/app:v2');
      const pinned = parseImageReference(pinnedReference(reference, OTHER_DIGEST));

      expect(pinned.name).toBe(reference.name);
      expect(pinned.tag).toBe('v2');
      expect(pinned.digest).toBe(OTHER_DIGEST);
    });
  });

  describe('isDigest', () => {
    it.each([
      [DIGEST, true],
      [`sha512:${'c'.repeat(128)}`, true],
      [HEX, false],
      [`sha256:${HEX.toUpperCase()}`, false],
      [`sha256:${HEX.slice(2)}`, false],
      [`sha1:${HEX}`, false],
    ])('says %s is a digest: %p', (text, expected) => {
      expect(isDigest(text)).toBe(expected);
    });
  });
});

function captureError(action: () => unknown): unknown {
  try {
    action();
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected an error');
}
