/**
 * `digest-pinner pin` on Dockerfiles and Containerfiles, built, against a real registry: the
 * base of each FROM pinned where it is written and nothing else changed, with stages, platform
 * flags, AS, build arguments, scratch, comments, continuations and heredocs; files known by
 * their names or by --file-type; --check and --update on them.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, runBuiltCli } from '../support/built-cli.js';
import { pushImage } from '../support/image-push.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

let registry: TestRegistry;
let flags: string[];
let goDigest: string;
let runtimeDigest: string;
let work: string;

beforeAll(async () => {
  assertBuilt();
  registry = await startRegistry({ auth: 'none' });
  goDigest = (await pushImage(registry.pushTarget, { repository: 'lang/go', tag: '1.22' })).digest;
  runtimeDigest = (
    await pushImage(registry.pushTarget, { repository: 'base/runtime', tag: '12', seed: 'rt' })
  ).digest;
  flags = ['--insecure-registry', registry.host];
});

afterAll(async () => {
  await registry.stop();
});

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'digest-pinner-pin-dockerfile-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const go = (): string => `${registry.host}/lang/go:1.22`;
const runtime = (): string => `${registry.host}/base/runtime:12`;

/**
 * A multi-stage Dockerfile as people write them, its two bases given: every other mention of an
 * image (a comment, a heredoc, an ARG default, a COPY --from) must stay as it is.
 */
function multiStage(goImage: string, runtimeImage: string): string {
  return [
    '# syntax=docker/dockerfile:1',
    `# FROM ${go()} was the old base`,
    `ARG BASE=${runtime()}`,
    `FROM --platform=$BUILDPLATFORM ${goImage} AS build`,
    'WORKDIR /src',
    'RUN <<EOF',
    `FROM ${go()}`,
    'EOF',
    'RUN go build -o /app . \\',
    '    && strip /app',
    'FROM build as test',
    'RUN go test ./...',
    'FROM ${BASE} AS from-argument',
    'from \\',
    '  # the runtime, continued over lines',
    `  ${runtimeImage} \\`,
    '  AS final',
    'COPY --from=build /app /app',
    'FROM scratch',
    'COPY --from=final /app /app',
    '',
  ].join('\n');
}

describe('pin on Dockerfiles', () => {
  it('pins the base of each FROM in place, keeping stages, platforms, AS, comments and heredocs', async () => {
    const path = join(work, 'Dockerfile');
    await writeFile(path, multiStage(go(), runtime()));

    const result = await runBuiltCli(['pin', '--write', ...flags, path]);

    expect(result).toEqual({
      code: 0,
      stdout: '',
      stderr: `${path}:13: FROM "\${BASE}": a build argument sets the image; not pinned (pin the ARG's default instead)\n`,
    });
    expect(await readFile(path, 'utf8')).toBe(
      multiStage(`${go()}@${goDigest}`, `${runtime()}@${runtimeDigest}`),
    );
  });

  it('lists unpinned bases under --check with their lines, and passes once pinned', async () => {
    const path = join(work, 'Containerfile');
    await writeFile(path, multiStage(go(), runtime()));

    const before = await runBuiltCli(['pin', '--check', path]);
    await runBuiltCli(['pin', '--write', ...flags, path]);
    const after = await runBuiltCli(['pin', '--check', path]);

    expect(before.code).toBe(1);
    expect(before.stdout).toBe(
      `${path}:4: image "${go()}" is not pinned to a digest\n${path}:16: image "${runtime()}" is not pinned to a digest\n`,
    );
    expect(after.code).toBe(0);
    expect(after.stdout).toBe('');
  });

  it('moves a pinned base whose tag has moved under --update, and fails --check --update before', async () => {
    const old = (await pushImage(registry.pushTarget, { repository: 'base/moving', tag: '1' }))
      .digest;
    const path = join(work, 'api.Dockerfile');
    const text = `FROM ${registry.host}/base/moving:1@${old} AS run\r\nCMD ["/app"]\r\n`;
    await writeFile(path, text);
    const moved = (
      await pushImage(registry.pushTarget, { repository: 'base/moving', tag: '1', seed: 'next' })
    ).digest;

    const checked = await runBuiltCli(['pin', '--check', '--update', ...flags, path]);
    const updated = await runBuiltCli(['pin', '--update', '--write', ...flags, path]);

    expect(checked).toEqual({
      code: 1,
      stdout: `${path}:1: image "${registry.host}/base/moving:1@${old}" moved to ${moved}\n`,
      stderr: '',
    });
    expect(updated.code).toBe(0);
    expect(await readFile(path, 'utf8')).toBe(text.replace(old, moved));
  });

  it('finds Dockerfiles and Containerfiles by name in a directory walk, beside manifests', async () => {
    await mkdir(join(work, 'images'));
    const names = ['images/Dockerfile.dev', 'images/worker.containerfile', 'images/Containerfile'];
    for (const name of names) await writeFile(join(work, name), `FROM ${go()}\n`);
    await writeFile(join(work, 'images/Dockerfile.dockerignore'), `FROM ${go()}\n`);
    await writeFile(join(work, 'images/notes.txt'), `FROM ${go()}\n`);

    const result = await runBuiltCli(['pin', '--check', work]);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      [...names]
        .sort()
        .map((name) => `${join(work, name)}:1: image "${go()}" is not pinned to a digest\n`)
        .join(''),
    );
  });

  it('reads a file of another name, and standard input, as a Dockerfile under --file-type', async () => {
    const path = join(work, 'build.docker');
    const text = `FROM ${go()} AS build\n`;
    await writeFile(path, text);

    const named = await runBuiltCli(['pin', '--file-type', 'dockerfile', ...flags, path]);
    const piped = await runBuiltCli(['pin', ...flags, '-'], {
      input: text,
      env: { DIGEST_PINNER_FILE_TYPE: 'dockerfile' },
    });
    const unforced = await runBuiltCli(['pin', ...flags, path]);

    const pinned = text.replace(go(), `${go()}@${goDigest}`);
    expect(named).toEqual({ code: 0, stdout: pinned, stderr: '' });
    expect(piped).toEqual({ code: 0, stdout: pinned, stderr: '' });
    expect(unforced.code).toBe(2);
  });

  it('leaves bases matching --skip-image, and names a base it cannot rewrite in place', async () => {
    const path = join(work, 'Dockerfile');
    const text = `FROM ${go()}\nFROM "${runtime()}"\nFROM ${runtime()}\n`;
    await writeFile(path, text);

    const result = await runBuiltCli([
      'pin',
      '--skip-image',
      `${registry.host}/lang/*`,
      ...flags,
      path,
    ]);

    expect(result).toEqual({
      code: 0,
      stdout: `FROM ${go()}\nFROM "${runtime()}"\nFROM ${runtime()}@${runtimeDigest}\n`,
      stderr: `${path}:2: FROM ${JSON.stringify(`"${runtime()}"`)}: the image is quoted, escaped or broken over lines; not pinned\n`,
    });
  });

  it('names a base that does not resolve, with file and line, and exits 1', async () => {
    const path = join(work, 'Dockerfile');
    await writeFile(path, `FROM ${go()}\nFROM ${registry.host}/lang/go:no-such-tag\n`);

    const result = await runBuiltCli(['pin', '--write', ...flags, path]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^${path}:2: image "${registry.host}/lang/go:no-such-tag" not pinned: .*not found`,
      ),
    );
    expect(await readFile(path, 'utf8')).toBe(
      `FROM ${go()}@${goDigest}\nFROM ${registry.host}/lang/go:no-such-tag\n`,
    );
  });
});
