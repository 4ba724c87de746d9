/**
 * `serve --image-lock` end to end: the real HTTPS service in this process, a real registry, and
 * the lock in a directory laid out and updated as the kubelet keeps a ConfigMap volume.
 */
import { applyPatch, type Operation } from 'fast-json-patch';
import type { RunningService } from '../../src/cli/commands/serve.js';
import { parseImageReference } from '../../src/image/reference.js';
import { mergeIntoLock, formatImageLock } from '../../src/lock/lock-writer.js';
import { assertBuilt, runBuiltCli } from '../support/built-cli.js';
import { ConfigMapVolume } from '../support/configmap-volume.js';
import { eventually } from '../support/eventually.js';
import { loadReview, mapImages, type ReviewDocument } from '../support/fixtures.js';
import type { HttpsTestClient } from '../support/https.js';
import { pushImage } from '../support/image-push.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startStandaloneService } from '../support/standalone-service.js';

interface Answer {
  readonly response: {
    readonly allowed: boolean;
    readonly patch?: string;
    readonly warnings?: readonly string[];
    readonly status?: { readonly code: number; readonly message: string };
  };
}

describe('serve --image-lock end to end', () => {
  let registry: TestRegistry;
  let volume: ConfigMapVolume;
  let running: { service: RunningService; client: HttpsTestClient }[] = [];
  /** What the registry served for team/app:1.0 when the lock was written. */
  let lockedDigest = '';
  /** What it serves now: the tag moved after the lock was written. */
  let movedDigest = '';
  let app = '';

  function lockOf(images: Readonly<Record<string, string>>): string {
    const resolved = Object.entries(images).map(([image, digest]) => ({
      reference: parseImageReference(image),
      digest,
    }));
    return formatImageLock(mergeIntoLock(undefined, resolved));
  }

  async function serve(flags: readonly string[], log?: (line: string) => void) {
    const started = await startStandaloneService(
      ['--insecure-registry', registry.host, '--image-lock', volume.path, ...flags],
      log === undefined ? {} : { log: { level: 'info', write: log } },
    );
    running.push(started);
    return started;
  }

  function podReview(image: string): ReviewDocument {
    return mapImages(loadReview('pod-create'), ({ side }) =>
      side === 'object' ? image : undefined,
    );
  }

  /** As the API server does: mutate, apply the patch, validate what would be stored. */
  async function admit(client: HttpsTestClient, image: string) {
    const document = podReview(image);
    const mutation = (await client.post('/mutate', document)).body as Answer;
    const stored = structuredClone(document);
    if (mutation.response.patch !== undefined) {
      const operations = JSON.parse(
        Buffer.from(mutation.response.patch, 'base64').toString('utf8'),
      ) as Operation[];
      stored.request.object = applyPatch(stored.request.object, operations).newDocument;
    }
    const validation = (await client.post('/validate', stored)).body as Answer;
    return { mutation, validation, stored: JSON.stringify(stored.request.object) };
  }

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
    app = `${registry.host}/team/app:1.0`;
    lockedDigest = (await pushImage(registry.pushTarget, { repository: 'team/app', tag: '1.0' }))
      .digest;
    movedDigest = (
      await pushImage(registry.pushTarget, { repository: 'team/app', tag: '1.0', seed: 'moved' })
    ).digest;
    await pushImage(registry.pushTarget, { repository: 'team/other', tag: '1.0' });
  });

  beforeEach(() => {
    volume = new ConfigMapVolume();
    volume.write(lockOf({ [app]: lockedDigest }));
  });

  afterEach(async () => {
    for (const { service, client } of running) {
      await client.close();
      await service.close();
    }
    running = [];
    volume.remove();
  });

  afterAll(async () => {
    await registry.stop();
  });

  it('pins to the locked digest, over what the registry serves now', async () => {
    const { client } = await serve([]);

    const { stored } = await admit(client, app);

    expect(movedDigest).not.toBe(lockedDigest);
    expect(stored).toContain(`team/app:1.0@${lockedDigest}`);
  });

  it('pins from the lock with the registry stopped, in every replica alike', async () => {
    const replicas = [await serve([]), await serve([])];
    await registry.kill();
    try {
      const answers = await Promise.all(replicas.map(({ client }) => admit(client, app)));

      for (const { stored } of answers) expect(stored).toContain(`@${lockedDigest}`);
    } finally {
      await registry.restart();
    }
  });

  it('uses a lock swapped in as the kubelet does it on the next admissions, without a restart', async () => {
    const { client } = await serve([]);
    expect((await admit(client, app)).stored).toContain(lockedDigest);

    volume.write(lockOf({ [app]: movedDigest }));

    // The directory watch sees the swap at once; admissions go on meanwhile, none restarted.
    const deadline = Date.now() + 5000;
    let stored = '';
    while (!stored.includes(movedDigest) && Date.now() < deadline) {
      stored = (await admit(client, app)).stored;
    }

    expect(stored).toContain(`team/app:1.0@${movedDigest}`);
  });

  it('keeps the last good lock when an update does not parse, and says so in the log and a metric', async () => {
    const lines: string[] = [];
    const { client, service } = await serve([], (line) => lines.push(line));

    volume.write('apiVersion: digest-pinner.io/v1alpha1\nkind: ImageLock\nimages: {}\n');

    await eventually(
      () => lines.some((line) => line.includes('image lock update refused')),
      'the refusal in the log',
    );
    const { stored } = await admit(client, app);
    const metrics = (await service.metrics.render()).body;
    expect(stored).toContain(lockedDigest);
    expect(lines.join('\n')).toContain(`${volume.path}:3:9: images must be a list`);
    expect(metrics).toMatch(/^digest_pinner_image_lock_reload_failures_total 1$/m);
    expect(metrics).toMatch(/^digest_pinner_image_lock_entries 1$/m);
    expect(metrics).toMatch(/^digest_pinner_image_lock_lookups_total\{result="hit"\} 1$/m);
  });

  it('under require, admits an image the lock lacks unpinned with a warning (failure policy ignore)', async () => {
    const other = `${registry.host}/team/other:1.0`;
    const { client } = await serve(['--lock-policy', 'require']);

    const { mutation, stored } = await admit(client, other);

    expect(mutation.response.allowed).toBe(true);
    expect(stored).not.toContain('@sha256:');
    expect(mutation.response.warnings).toEqual([
      `image "${other}" not pinned: not-in-lock: not in the image lock (--lock-policy require)`,
    ]);
  });

  it('under require, denies an image the lock lacks (failure policy fail)', async () => {
    const other = `${registry.host}/team/other:1.0`;
    const { client } = await serve(['--lock-policy', 'require', '--failure-policy', 'fail']);

    const { mutation } = await admit(client, other);
    const locked = await admit(client, app);

    expect(mutation.response).toMatchObject({ allowed: false });
    expect(mutation.response.status?.message).toContain('not-in-lock');
    expect(locked.stored).toContain(lockedDigest);
  });

  it('under require, /validate denies an image pinned to a digest the lock does not give it', async () => {
    const { client } = await serve(['--lock-policy', 'require', '--enforce', 'deny']);

    const { validation } = await admit(client, `${app}@${movedDigest}`);
    const pinned = await admit(client, app);

    expect(validation.response).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(validation.response.status?.message).toContain(
      `has a digest other than the image lock's (${lockedDigest})`,
    );
    expect(pinned.validation.response.allowed).toBe(true);
  });

  it('refuses to start on a lock that does not parse, naming its file and line', async () => {
    volume.write(lockOf({ [app]: lockedDigest }).replace(lockedDigest, 'sha256:short'));

    await expect(serve([])).rejects.toThrow(`${volume.path}:5:13: digest "sha256:short"`);
  });

  it('answers resolve --lock from the lock with the registry stopped (the built CLI)', async () => {
    assertBuilt();
    await registry.kill();
    try {
      const result = await runBuiltCli([
        'resolve',
        '--lock',
        volume.path,
        '--insecure-registry',
        registry.host,
        app,
      ]);

      expect(result.stdout).toBe(`${app}@${lockedDigest}\n`);
      expect(result.code).toBe(0);
    } finally {
      await registry.restart();
    }
  });

  it('refuses resolve --lock on a lock that does not parse, naming its file and line (exit 2)', async () => {
    assertBuilt();
    volume.write('apiVersion: digest-pinner.io/v1alpha1\nkind: ImageLock\nimages: {}\n');

    const result = await runBuiltCli(['resolve', '--lock', volume.path, app]);

    expect(result.stderr).toContain(`${volume.path}:3:9: images must be a list`);
    expect(result.code).toBe(2);
  });

  it('regenerates the lock byte for byte when nothing moved', async () => {
    const { service } = await serve(['--lock-policy', 'prefer']);
    const signal = AbortSignal.timeout(10_000);
    const images = [app, `${registry.host}/team/other:1.0`];
    const resolveAll = async () =>
      Promise.all(
        images.map(async (image) => {
          const reference = parseImageReference(image);
          const { digest } = await service.resolver.resolve(reference, [], signal);
          return { reference, digest };
        }),
      );

    const first = formatImageLock(mergeIntoLock(undefined, await resolveAll()));
    const again = formatImageLock(mergeIntoLock(undefined, (await resolveAll()).reverse()));

    expect(again).toBe(first);
    expect(first).toContain(movedDigest);
  });
});
