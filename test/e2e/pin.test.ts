/**
 * `digest-pinner pin`, built, against a real registry. The manifests in test/fixtures/pin are
 * written as people and tools write them (comments, anchors, flow style, quoting, CRLF, Helm's
 * output, JSON Lists, files that are not Kubernetes at all); each is copied with the placeholder
 * host `registry.example:5000` replaced by the test registry's, pinned, and compared with its
 * golden file and, line by line, with its input.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertBuilt, runBuiltCli } from '../support/built-cli.js';
import { pushImage, pushIndex } from '../support/image-push.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/pin/', import.meta.url));
const PLACEHOLDER_HOST = 'registry.example:5000';

let registry: TestRegistry;
let flags: string[];
const digests: Record<string, string> = {};
let arm64Digest: string;
let work: string;

beforeAll(async () => {
  assertBuilt();
  registry = await startRegistry({ auth: 'none' });
  const target = registry.pushTarget;
  const index = await pushIndex(target, { repository: 'team/app', tag: '1.0' });
  digests['team/app:1.0'] = index.digest;
  arm64Digest = index.children.find((child) => child.platform?.architecture === 'arm64')!.digest;
  digests['team/side:2'] = (
    await pushImage(target, { repository: 'team/side', tag: '2', format: 'docker', seed: 'side' })
  ).digest;
  digests['team/init:3'] = (
    await pushImage(target, { repository: 'team/init', tag: '3', seed: 'init' })
  ).digest;
  digests['team/job:4'] = (
    await pushImage(target, { repository: 'team/job', tag: '4', seed: 'job' })
  ).digest;
  flags = ['--insecure-registry', registry.host];
});

afterAll(async () => {
  await registry.stop();
});

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'digest-pinner-pin-'));
  await cp(join(FIXTURES, 'manifests'), work, { recursive: true });
  for (const path of await filesBelow(work)) {
    await writeFile(path, withRegistry(await readFile(path, 'utf8')));
  }
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function withRegistry(text: string): string {
  return text.replaceAll(PLACEHOLDER_HOST, registry.host);
}

async function filesBelow(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

async function fixture(name: string): Promise<string> {
  return withRegistry(await readFile(join(FIXTURES, 'manifests', name), 'utf8'));
}

async function golden(name: string): Promise<string> {
  return withRegistry(await readFile(join(FIXTURES, 'golden', name), 'utf8'));
}

/**
 * The lines `after` changed, which must be image lines whose image gained the digest its tag
 * points to in the registry; every other line, line ending included, must be as it was.
 */
function changedImageLines(before: string, after: string): string[] {
  const oldLines = before.split('\n');
  const newLines = after.split('\n');
  expect(newLines).toHaveLength(oldLines.length);
  const changed: string[] = [];
  oldLines.forEach((line, index) => {
    const next = newLines[index]!;
    if (next === line) return;
    const image = /(registry|127\.0\.0\.1)[^\s"',}]*\/(team\/[a-z]+:[0-9.]+)/.exec(line);
    expect(image).not.toBeNull();
    const [reference, , nameAndTag] = image!;
    expect(next).toBe(line.replace(reference, `${reference}@${digests[nameAndTag!]!}`));
    changed.push(next);
  });
  return changed;
}

describe('pin', () => {
  const MANIFESTS = [
    'apps/web.yaml',
    'apps/debug-crlf.yaml',
    'helm-output.yaml',
    'list.json',
    'ci-workflow.yml',
    'pinned.yaml',
    'README.md',
  ];

  it('pins a directory in place, to the pushed digests, changing nothing but image values', async () => {
    const result = await runBuiltCli(['pin', '--write', ...flags, work]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const name of MANIFESTS) {
      const output = await readFile(join(work, name), 'utf8');
      expect({ name, output }).toEqual({ name, output: await golden(name) });
      changedImageLines(await fixture(name), output);
    }
  });

  it.each([
    ['apps/web.yaml', 3],
    ['apps/debug-crlf.yaml', 2],
    ['helm-output.yaml', 2],
    ['list.json', 2],
    ['pinned.yaml', 0],
  ])('changes exactly the image lines of %s (%d)', async (name, count) => {
    const result = await runBuiltCli(['pin', ...flags, join(work, name)]);

    expect(result.code).toBe(0);
    expect(changedImageLines(await fixture(name), result.stdout)).toHaveLength(count);
    expect(await readFile(join(work, name), 'utf8')).toBe(await fixture(name));
  });

  it('says a CI workflow named on its own holds no manifest, exits 2 and leaves it', async () => {
    const path = join(work, 'ci-workflow.yml');

    const result = await runBuiltCli(['pin', ...flags, path]);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(
        `^digest-pinner pin: no Kubernetes manifests, Dockerfiles or Compose files in ${path} `,
      ),
    );
    expect(await readFile(path, 'utf8')).toBe(await fixture('ci-workflow.yml'));
  });

  it('keeps CRLF line endings', async () => {
    const result = await runBuiltCli(['pin', ...flags, join(work, 'apps/debug-crlf.yaml')]);

    expect(result.stdout.split('\r\n')).toHaveLength(
      (await fixture('apps/debug-crlf.yaml')).split('\r\n').length,
    );
    expect(result.stdout).not.toMatch(/[^\r]\n/);
  });

  it('lists each unpinned image with file and line under --check, changes nothing, exits 1', async () => {
    const result = await runBuiltCli(['pin', '--check', work]);

    expect(result.code).toBe(1);
    const at = (name: string, line: number, image: string) =>
      `${join(work, name)}:${line}: image "${registry.host}/${image}" is not pinned to a digest`;
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      at('apps/debug-crlf.yaml', 8, 'team/init:3'),
      at('apps/debug-crlf.yaml', 11, 'team/app:1.0'),
      at('apps/web.yaml', 17, 'team/init:3'),
      at('apps/web.yaml', 20, 'team/app:1.0'),
      at('apps/web.yaml', 23, 'team/app:1.0'),
      at('apps/web.yaml', 24, 'team/side:2'),
      at('helm-output.yaml', 32, 'team/job:4'),
      at('helm-output.yaml', 45, 'team/app:1.0'),
      at('list.json', 15, 'team/side:2'),
      at('list.json', 31, 'team/job:4'),
    ]);
    for (const name of MANIFESTS) {
      expect(await readFile(join(work, name), 'utf8')).toBe(await fixture(name));
    }
  });

  it('passes --check once the files are pinned', async () => {
    await runBuiltCli(['pin', '--write', ...flags, work]);

    const result = await runBuiltCli(['pin', '--check', work]);

    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('reads standard input and writes standard output, also with --write', async () => {
    const input = await fixture('helm-output.yaml');

    const printed = await runBuiltCli(['pin', ...flags, '-'], { input });
    const written = await runBuiltCli(['pin', '--write', ...flags, '-'], { input });

    expect(printed.stdout).toBe(await golden('helm-output.yaml'));
    expect(written.stdout).toBe(printed.stdout);
  });

  it('drops tags with --no-tag and pins one platform with --platform', async () => {
    const input = `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: ${registry.host}/team/app:1.0 # the app\n`;

    const noTag = await runBuiltCli(['pin', '--no-tag', ...flags, '-'], { input });
    const arm64 = await runBuiltCli(['pin', '--platform', 'linux/arm64', ...flags, '-'], {
      input,
    });

    expect(noTag.stdout).toBe(
      input.replace('team/app:1.0', `team/app@${digests['team/app:1.0']!}`),
    );
    expect(arm64.stdout).toBe(input.replace('team/app:1.0', `team/app:1.0@${arm64Digest}`));
  });

  it('leaves images matching --skip-image as written, and --check does not list them', async () => {
    const input = `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: ${registry.host}/team/app:1.0}\n  - {name: b, image: ${registry.host}/team/job:4}\n`;
    const skip = ['--skip-image', `${registry.host}/team/app:*`];

    const pinned = await runBuiltCli(['pin', ...skip, ...flags, '-'], { input });
    const checked = await runBuiltCli(['pin', '--check', ...skip, '-'], { input });

    expect(pinned.code).toBe(0);
    expect(pinned.stdout).toBe(input.replace('team/job:4', `team/job:4@${digests['team/job:4']!}`));
    expect(checked.code).toBe(1);
    expect(checked.stdout).toBe(
      `-:7: image "${registry.host}/team/job:4" is not pinned to a digest\n`,
    );
  });

  it('names the file and line of a YAML syntax error, resolves nothing and changes nothing', async () => {
    await writeFile(
      join(work, 'apps/broken.yaml'),
      'apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n    {name: a\n',
    );

    const result = await runBuiltCli(['pin', '--write', ...flags, work]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${join(work, 'apps/broken.yaml')}:\\d+:\\d+: `));
    expect(result.stderr).toContain('nothing changed');
    for (const name of MANIFESTS) {
      expect(await readFile(join(work, name), 'utf8')).toBe(await fixture(name));
    }
  });

  it('pins what resolves, names what does not with file and line, and exits 1', async () => {
    const path = join(work, 'pod.yaml');
    await writeFile(
      path,
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: ${registry.host}/team/app:no-such-tag}\n  - {name: b, image: ${registry.host}/team/job:4}\n`,
    );

    const result = await runBuiltCli(['pin', '--write', ...flags, path]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^${path}:6: image "${registry.host}/team/app:no-such-tag" not pinned: .*not found`,
        'm',
      ),
    );
    expect(await readFile(path, 'utf8')).toContain(`team/job:4@${digests['team/job:4']!}`);
  });

  it('refuses --check with --write, no operand and a missing file with exit code 2', async () => {
    expect((await runBuiltCli(['pin', '--check', '--write', work])).code).toBe(2);
    expect((await runBuiltCli(['pin'])).code).toBe(2);
    const missing = await runBuiltCli(['pin', join(work, 'missing.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*missing\.yaml: ENOENT/);
  });
});
