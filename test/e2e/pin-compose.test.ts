/**
 * `digest-pinner pin` on Compose files, built, against a real registry: each service's image
 * pinned in the YAML source, byte for byte but the images, through anchors, merge keys, quoting
 * and comments; a service that builds its image and an interpolated image named and left; files
 * known by their names or by --file-type; --check and --update on them.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, runBuiltCli } from '../support/built-cli.js';
import { pushImage } from '../support/image-push.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

let registry: TestRegistry;
let flags: string[];
let webDigest: string;
let dbDigest: string;
let work: string;

beforeAll(async () => {
  assertBuilt();
  registry = await startRegistry({ auth: 'none' });
  webDigest = (await pushImage(registry.pushTarget, { repository: 'team/web', tag: '2.1' })).digest;
  dbDigest = (
    await pushImage(registry.pushTarget, { repository: 'library/db', tag: '16', seed: 'db' })
  ).digest;
  flags = ['--insecure-registry', registry.host];
});

afterAll(async () => {
  await registry.stop();
});

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'digest-pinner-pin-compose-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const web = (): string => `${registry.host}/team/web:2.1`;
const db = (): string => `${registry.host}/library/db:16`;

/** A Compose file as people write them, its two pinnable images given. */
function composeFile(webImage: string, dbImage: string): string {
  return `# The shop, for local development
name: shop

x-web: &web
  image: ${webImage} # shared by web and worker
  restart: unless-stopped

services:
  web:
    <<: *web
    ports: ["8080:80"]
  worker:
    <<: *web
    command: [worker]
  db:
    image: "${dbImage}"
    environment: {POSTGRES_PASSWORD: example}
  api:
    build: ./api
    image: ${registry.host}/team/api:dev # what the build is tagged as
  cache:
    image: ${registry.host}/team/cache:\${CACHE_TAG:-7}
  tools:
    build: {context: ./tools}
`;
}

describe('pin on Compose files', () => {
  it('pins the images of services in place, through anchors, and names what it leaves', async () => {
    const path = join(work, 'compose.yaml');
    await writeFile(path, composeFile(web(), db()));

    const result = await runBuiltCli(['pin', '--write', ...flags, path]);

    expect(result).toEqual({
      code: 0,
      stdout: '',
      stderr: [
        `${path}:20: service "api" builds its image (build:), so image: names what is built; not pinned`,
        `${path}:22: service "cache": image "${registry.host}/team/cache:\${CACHE_TAG:-7}" is set by a variable; not pinned`,
        '',
      ].join('\n'),
    });
    expect(await readFile(path, 'utf8')).toBe(
      composeFile(`${web()}@${webDigest}`, `${db()}@${dbDigest}`),
    );
  });

  it('lists unpinned images under --check at the lines they are written, and passes once pinned', async () => {
    const path = join(work, 'docker-compose.yml');
    await writeFile(path, composeFile(web(), db()));

    const before = await runBuiltCli(['pin', '--check', path]);
    await runBuiltCli(['pin', '--write', ...flags, path]);
    const after = await runBuiltCli(['pin', '--check', path]);

    expect(before.code).toBe(1);
    expect(before.stdout).toBe(
      [
        // Both services take it from the anchor, where it is written.
        `${path}:5: image "${web()}" is not pinned to a digest`,
        `${path}:5: image "${web()}" is not pinned to a digest`,
        `${path}:16: image "${db()}" is not pinned to a digest`,
        '',
      ].join('\n'),
    );
    expect(after.code).toBe(0);
    expect(after.stdout).toBe('');
  });

  it('moves a pin whose tag has moved under --update, and fails --check --update before', async () => {
    const old = (await pushImage(registry.pushTarget, { repository: 'team/moving', tag: '3' }))
      .digest;
    const path = join(work, 'compose.override.yml');
    const text = `services:\n  web:\n    image: '${registry.host}/team/moving:3@${old}' # pinned by pin\n`;
    await writeFile(path, text);
    const moved = (
      await pushImage(registry.pushTarget, { repository: 'team/moving', tag: '3', seed: 'next' })
    ).digest;

    const checked = await runBuiltCli(['pin', '--check', '--update', ...flags, path]);
    const updated = await runBuiltCli(['pin', '--update', '--write', ...flags, path]);

    expect(checked).toEqual({
      code: 1,
      stdout: `${path}:3: image "${registry.host}/team/moving:3@${old}" moved to ${moved}\n`,
      stderr: '',
    });
    expect(updated).toEqual({
      code: 0,
      stdout: '',
      stderr: `${path}:3: image "${registry.host}/team/moving:3@${old}" moved to ${moved}\n`,
    });
    expect(await readFile(path, 'utf8')).toBe(text.replace(old, moved));
  });

  it('finds Compose files by name in a directory walk, beside manifests', async () => {
    await mkdir(join(work, 'dev'));
    await writeFile(join(work, 'dev/compose.yml'), `services:\n  db:\n    image: ${db()}\n`);
    await writeFile(join(work, 'dev/stack.yml'), `services:\n  db:\n    image: ${db()}\n`);
    await writeFile(
      join(work, 'pod.yaml'),
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: ${web()}}]\n`,
    );

    const result = await runBuiltCli(['pin', '--check', work]);

    expect(result).toEqual({
      code: 1,
      stdout: [
        `${join(work, 'dev/compose.yml')}:3: image "${db()}" is not pinned to a digest`,
        `${join(work, 'pod.yaml')}:5: image "${web()}" is not pinned to a digest`,
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('reads a file of another name, and standard input, as a Compose file under --file-type', async () => {
    const path = join(work, 'stack.yml');
    const text = `services:\n  db:\n    image: ${db()}\n`;
    await writeFile(path, text);

    const named = await runBuiltCli(['pin', '--file-type', 'compose', ...flags, path]);
    const piped = await runBuiltCli(['pin', '--file-type', 'compose', ...flags, '-'], {
      input: text,
    });

    const pinned = text.replace(db(), `${db()}@${dbDigest}`);
    expect(named).toEqual({ code: 0, stdout: pinned, stderr: '' });
    expect(piped).toEqual({ code: 0, stdout: pinned, stderr: '' });
  });

  it('leaves images matching --skip-image, and stops at a YAML syntax error changing nothing', async () => {
    const path = join(work, 'compose.yaml');
    const text = `services:\n  web: {image: ${web()}}\n  db: {image: ${db()}}\n`;
    await writeFile(path, text);
    const broken = join(work, 'docker-compose.yaml');
    await writeFile(broken, `services:\n  web:\n    image: [${web()}\n`);

    const skipped = await runBuiltCli([
      'pin',
      '--skip-image',
      `${registry.host}/team/*`,
      ...flags,
      path,
    ]);
    const failed = await runBuiltCli(['pin', '--write', ...flags, path, broken]);

    expect(skipped).toEqual({
      code: 0,
      stdout: text.replace(db(), `${db()}@${dbDigest}`),
      stderr: '',
    });
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(new RegExp(`^${broken}:\\d+:\\d+: `));
    expect(failed.stderr).toContain('nothing changed');
    expect(await readFile(path, 'utf8')).toBe(text);
  });
});
