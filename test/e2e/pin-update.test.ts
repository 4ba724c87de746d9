/**
 * `digest-pinner pin --update`, built, against a real registry whose tags are moved by pushing
 * other images under them: a moved pin gets the new digest and nothing else changes, an unmoved
 * pin and a digest-only pin stay byte for byte, skipped images stay, and `--check --update`
 * exits 1 while a pin is out of date.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  work = await mkdtemp(join(tmpdir(), 'digest-pinner-pin-update-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Pushes an image under `repository:tag`, with content told apart by `seed`; its digest. */
async function push(repository: string, tag: string, seed: string): Promise<string> {
  return (await pushImage(registry.pushTarget, { repository, tag, seed })).digest;
}

/** A Deployment with one container per image, each on its own line, with a comment after it. */
function deployment(images: readonly string[]): string {
  const containers = images.map(
    (image, index) => `      - name: c${index}\n        image: "${image}" # container ${index}\n`,
  );
  return `# the web tier\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n${containers.join('')}`;
}

/** The line of `text` that `fragment` is on, 1-based. */
function lineOf(text: string, fragment: string): number {
  return text.slice(0, text.indexOf(fragment)).split('\n').length;
}

describe('pin --update', () => {
  it('moves the digest of a moved tag and leaves an unmoved pin, a digest-only pin and a skipped one byte for byte', async () => {
    const host = registry.host;
    const before = {
      moved: await push('update/moved', '1.4', 'first'),
      still: await push('update/still', '2', 'still'),
      bare: await push('update/bare', '3', 'bare'),
      skipped: await push('update/skipped', '4', 'first'),
    };
    const images = [
      `${host}/update/moved:1.4@${before.moved}`,
      `${host}/update/still:2@${before.still}`,
      `${host}/update/bare@${before.bare}`,
      `${host}/update/skipped:4@${before.skipped}`,
    ];
    const path = join(work, 'web.yaml');
    const text = deployment(images);
    await writeFile(path, text);
    const after = {
      moved: await push('update/moved', '1.4', 'second'),
      bare: await push('update/bare', '3', 'second'),
      skipped: await push('update/skipped', '4', 'second'),
    };
    const skip = ['--skip-image', `${host}/update/skipped:*`];

    const result = await runBuiltCli(['pin', '--update', '--write', ...skip, ...flags, path]);

    expect(after.moved).not.toBe(before.moved);
    expect(result).toEqual({
      code: 0,
      stdout: '',
      stderr: `${path}:${lineOf(text, images[0]!)}: image "${images[0]!}" moved to ${after.moved}\n`,
    });
    expect(await readFile(path, 'utf8')).toBe(text.replace(before.moved, after.moved));
  });

  it('changes nothing when no tag has moved, and says nothing', async () => {
    const digest = await push('update/calm', '1', 'calm');
    const input = deployment([`${registry.host}/update/calm:1@${digest}`]);

    const result = await runBuiltCli(['pin', '--update', ...flags, '-'], { input });

    expect(result).toEqual({ code: 0, stdout: input, stderr: '' });
  });

  it('pins what is not pinned yet, as pin does without --update', async () => {
    const unpinned = await push('update/fresh', '1', 'fresh');
    const stale = await push('update/stale', '1', 'first');
    const input = deployment([
      `${registry.host}/update/fresh:1`,
      `${registry.host}/update/stale:1@${stale}`,
    ]);
    const moved = await push('update/stale', '1', 'second');

    const result = await runBuiltCli(['pin', '--update', ...flags, '-'], { input });

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      input
        .replace('update/fresh:1', `update/fresh:1@${unpinned}`)
        .replace(`update/stale:1@${stale}`, `update/stale:1@${moved}`),
    );
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('fails --check --update with each out-of-date pin and unpinned image, and passes once updated', async () => {
    const old = await push('update/gate', '1', 'first');
    const path = join(work, 'web.yaml');
    const text = deployment([`${registry.host}/update/gate:1@${old}`, `${registry.host}/team/x:9`]);
    await writeFile(path, text);
    const moved = await push('update/gate', '1', 'second');
    await push('team/x', '9', 'x');

    const stale = await runBuiltCli(['pin', '--check', '--update', ...flags, path]);
    const plainCheck = await runBuiltCli(['pin', '--check', path]);
    await runBuiltCli(['pin', '--update', '--write', ...flags, path]);
    const fresh = await runBuiltCli(['pin', '--check', '--update', ...flags, path]);

    expect(stale).toEqual({
      code: 1,
      stdout: [
        `${path}:11: image "${registry.host}/update/gate:1@${old}" moved to ${moved}`,
        `${path}:13: image "${registry.host}/team/x:9" is not pinned to a digest`,
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(plainCheck.stdout).toBe(
      `${path}:13: image "${registry.host}/team/x:9" is not pinned to a digest\n`,
    );
    expect(fresh).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await readFile(path, 'utf8')).toContain(`update/gate:1@${moved}`);
  });

  it('leaves a digest-only pin under --check --update, and a skipped stale pin', async () => {
    const bare = await push('update/only', '1', 'first');
    const skipped = await push('update/skip', '1', 'first');
    const input = deployment([
      `${registry.host}/update/only@${bare}`,
      `${registry.host}/update/skip:1@${skipped}`,
    ]);
    await push('update/only', '1', 'second');
    await push('update/skip', '1', 'second');

    const result = await runBuiltCli(
      ['pin', '--check', '--update', '--skip-image', '*/update/skip:*', ...flags, '-'],
      { input },
    );

    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('names a pin whose tag cannot be looked up, leaves it, still moves the others and exits 1', async () => {
    const gone = await push('update/gone', 'kept', 'gone');
    const old = await push('update/other', '1', 'first');
    const path = join(work, 'web.yaml');
    const missing = `${registry.host}/update/gone:no-such-tag@${gone}`;
    const text = deployment([missing, `${registry.host}/update/other:1@${old}`]);
    await writeFile(path, text);
    const moved = await push('update/other', '1', 'second');

    const written = await runBuiltCli(['pin', '--update', '--write', ...flags, path]);
    const checked = await runBuiltCli(['pin', '--check', '--update', ...flags, path]);

    expect(written.code).toBe(1);
    expect(written.stderr).toMatch(
      new RegExp(`^${path}:11: image "${missing}" not updated: .*not found`, 'm'),
    );
    expect(written.stderr).toContain(
      `${path}:13: image "${registry.host}/update/other:1@${old}" moved to ${moved}\n`,
    );
    expect(await readFile(path, 'utf8')).toBe(text.replace(old, moved));
    expect(checked.code).toBe(1);
    expect(checked.stdout).toBe('');
    expect(checked.stderr).toMatch(new RegExp(`^${path}:11: image "${missing}" not updated: `));
  });
});
