/**
 * `digest-pinner pin --lock`, built, against a real registry: the lock written from a directory
 * of manifests, byte for byte the same when regenerated with nothing moved, updated where a tag
 * moved, and `--check --lock` exit codes for a complete lock, a missing image and another digest.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseImageLock } from '../../src/lock/lock-parser.js';
import { assertBuilt, runBuiltCli } from '../support/built-cli.js';
import { pushImage } from '../support/image-push.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

let registry: TestRegistry;
let flags: string[];
let work: string;

beforeAll(async () => {
  assertBuilt();
  registry = await startRegistry({ auth: 'none' });
  flags = ['--insecure-registry', registry.host];
});

afterAll(async () => {
  await registry.stop();
});

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'digest-pinner-pin-lock-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Pushes an image whose content, and so its digest, `seed` alone decides. */
async function push(repository: string, tag: string, seed: string): Promise<string> {
  return (await pushImage(registry.pushTarget, { repository, tag, seed })).digest;
}

function pod(name: string, image: string): string {
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n    - name: app\n      image: ${image}\n`;
}

describe('pin --lock', () => {
  it('writes the lock of a directory, the same bytes again with nothing moved, and moves what moved', async () => {
    const host = registry.host;
    const web = await push('lock/web', '1.0', 'first');
    const api = await push('lock/api', '2.0', 'api');
    const bare = await push('lock/bare', '3.0', 'bare');
    const deploy = join(work, 'deploy');
    await mkdir(deploy);
    await writeFile(join(deploy, 'web.yaml'), pod('web', `${host}/lock/web:1.0`));
    await writeFile(join(deploy, 'api.yaml'), pod('api', `${host}/lock/api:2.0@${api}`));
    await writeFile(join(deploy, 'bare.yaml'), pod('bare', `${host}/lock/bare@${bare}`));
    const lockPath = join(work, 'images.lock');

    const first = await runBuiltCli(['pin', '--lock', lockPath, ...flags, deploy]);
    const written = await readFile(lockPath, 'utf8');
    const again = await runBuiltCli(['pin', '--lock', lockPath, ...flags, deploy]);

    expect(first.code).toBe(0);
    expect(first.stderr).toBe(`digest-pinner pin: ${lockPath} updated\n`);
    expect(
      parseImageLock(written, lockPath).entries.map(({ image, digest }) => [image, digest]),
    ).toEqual([
      [`${host}/lock/api:2.0`, api],
      [`${host}/lock/web:1.0`, web],
    ]);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(await readFile(lockPath, 'utf8')).toBe(written);

    const moved = await push('lock/web', '1.0', 'second');
    const third = await runBuiltCli(['pin', '--lock', lockPath, ...flags, deploy]);
    const updated = await readFile(lockPath, 'utf8');

    expect(third.code).toBe(0);
    expect(updated).toBe(written.replace(web, moved));
  });

  it('checks manifests against the lock: 0 when it agrees, 1 naming what it lacks or contradicts, 2 without it', async () => {
    const host = registry.host;
    const web = await push('check/web', '1.0', 'first');
    const other = await push('check/other', '1.0', 'other');
    const lockPath = join(work, 'images.lock');
    const agreed = join(work, 'agreed.yaml');
    await writeFile(agreed, pod('web', `${host}/check/web:1.0@${web}`));
    expect((await runBuiltCli(['pin', '--lock', lockPath, ...flags, agreed])).code).toBe(0);

    const contradicts = join(work, 'contradicts.yaml');
    await writeFile(contradicts, pod('web', `${host}/check/web:1.0@${other}`));
    const lacks = join(work, 'lacks.yaml');
    await writeFile(lacks, pod('other', `${host}/check/other:1.0@${other}`));

    const ok = await runBuiltCli(['pin', '--check', '--lock', lockPath, agreed]);
    const failed = await runBuiltCli(['pin', '--check', '--lock', lockPath, contradicts, lacks]);
    const missing = await runBuiltCli(['pin', '--check', '--lock', join(work, 'none'), agreed]);

    expect(ok).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe(
      [
        `${contradicts}:8: image "${host}/check/web:1.0@${other}" is pinned to ${other}; the lock ${lockPath} gives ${web}`,
        `${lacks}:8: image "${host}/check/other:1.0@${other}" is not in the lock ${lockPath}`,
        '',
      ].join('\n'),
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`the lock ${join(work, 'none')} does not exist`);
  });

  it('refuses a lock that does not parse, naming its file and line, and leaves it as it is', async () => {
    const lockPath = join(work, 'images.lock');
    const broken =
      'apiVersion: digest-pinner.io/v1alpha1\nkind: ImageLock\nimages:\n  - image: [\n';
    await writeFile(lockPath, broken);
    const manifest = join(work, 'web.yaml');
    await writeFile(manifest, pod('web', `${registry.host}/lock/web:1.0`));

    const run = await runBuiltCli(['pin', '--lock', lockPath, ...flags, manifest]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${lockPath}:`);
    expect(await readFile(lockPath, 'utf8')).toBe(broken);
  });
});
