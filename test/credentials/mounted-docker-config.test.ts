import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MountedDockerConfig } from '../../src/credentials/mounted-docker-config.js';
import { parseImageReference } from '../../src/image/reference.js';

const TTL_MS = 30_000;
const IMAGE = parseImageReference('registry.example.com/team/app:1.0');

function dockerConfig(username: string): string {
  const auth = Buffer.from(`${username}:pw-${username}`).toString('base64');
  return JSON.stringify({ auths: { 'registry.example.com': { auth } } });
}

describe('MountedDockerConfig', () => {
  let directory: string;
  let path: string;
  let now: number;
  const clock = { now: () => now, monotonic: () => now };

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-mounted-'));
    path = join(directory, 'config.json');
    now = 1_000;
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function usernames(mounted: MountedDockerConfig): Promise<(string | undefined)[]> {
    const { credentials } = await mounted.credentialsFor(IMAGE);
    return credentials.map((credential) => credential.username);
  }

  it('gives the credentials matching an image, named after the file, and none for others', async () => {
    await writeFile(path, dockerConfig('reader'));

    const mounted = await MountedDockerConfig.open({ path, ttlMs: TTL_MS, clock });
    const other = await mounted.credentialsFor(parseImageReference('quay.io/team/app:1.0'));

    expect(mounted.credentials).toBe(1);
    expect(await mounted.credentialsFor(IMAGE)).toEqual({
      credentials: [{ username: 'reader', password: 'pw-reader', source: path }],
      problems: [],
    });
    expect(other.credentials).toEqual([]);
  });

  it('keeps what it read until the TTL has passed, then reads the file again', async () => {
    await writeFile(path, dockerConfig('before'));
    const mounted = await MountedDockerConfig.open({ path, ttlMs: TTL_MS, clock });
    await writeFile(path, dockerConfig('after'));

    now += TTL_MS - 1;
    const early = await usernames(mounted);
    now += 1;
    const late = await usernames(mounted);

    expect(early).toEqual(['before']);
    expect(late).toEqual(['after']);
  });

  it('answers at once from the read while it is fresh, and not once the file must be read again', async () => {
    await writeFile(path, dockerConfig('reader'));
    const mounted = await MountedDockerConfig.open({ path, ttlMs: TTL_MS, clock });

    now += TTL_MS - 1;
    const fresh = mounted.cachedCredentialsFor(IMAGE);
    const asked = await mounted.credentialsFor(IMAGE);
    now += 1;
    const due = mounted.cachedCredentialsFor(IMAGE);

    expect(fresh).toEqual(asked);
    expect(fresh?.credentials.map((credential) => credential.username)).toEqual(['reader']);
    expect(due).toBeUndefined();
  });

  it('reports what is wrong with the file with every lookup', async () => {
    await writeFile(path, JSON.stringify({ auths: {}, credsStore: 'secretservice' }));

    const mounted = await MountedDockerConfig.open({ path, ttlMs: TTL_MS, clock });
    const { credentials, problems } = await mounted.credentialsFor(IMAGE);

    expect(credentials).toEqual([]);
    expect(problems).toEqual([expect.stringContaining('credsStore is not supported')]);
    expect(mounted.problems).toEqual(problems);
  });

  it('gives nothing, saying why, when the file read again is not a docker config', async () => {
    await writeFile(path, dockerConfig('reader'));
    const mounted = await MountedDockerConfig.open({ path, ttlMs: TTL_MS, clock });
    await writeFile(path, '{"auths": ');

    now += TTL_MS;
    const { credentials, problems } = await mounted.credentialsFor(IMAGE);

    expect(credentials).toEqual([]);
    expect(problems).toEqual([`${path} is not a JSON object; ignored`]);
  });
});
