import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadDockerConfigFile,
  parseDockerConfigJson,
  parseDockerConfigSecret,
  type DockerConfigSecret,
} from '../../src/credentials/docker-config.js';
import { parseImageReference } from '../../src/image/reference.js';
import {
  base64,
  dockerRegistrySecret,
  loadSecretFixture,
  secretWithData,
} from '../support/docker-secrets.js';

const SENTINEL = 'TOPSECRET-Zq9';

function jsonSecret(auths: Record<string, unknown>): DockerConfigSecret {
  return secretWithData({
    namespace: 'team-a',
    name: 'regcred',
    type: 'kubernetes.io/dockerconfigjson',
    key: '.dockerconfigjson',
    document: { auths },
  });
}

describe('docker-config', () => {
  describe('parseDockerConfigSecret', () => {
    it('reads the entry kubectl writes when given a dockerconfigjson secret', () => {
      const parsed = parseDockerConfigSecret(loadSecretFixture('kubectl-dockerconfigjson'));

      expect(parsed.problems).toEqual([]);
      expect(parsed.entries).toEqual([
        {
          key: 'registry.example.com:5000',
          credential: {
            username: 'robot',
            password: 'pa:ss:word',
            source: 'secret team-a/regcred',
          },
        },
      ]);
    });

    it('reads the Docker Hub key kubectl writes when no server is given', () => {
      const parsed = parseDockerConfigSecret(loadSecretFixture('kubectl-docker-hub'));

      expect(parsed.entries.map((entry) => entry.key)).toEqual(['https://index.docker.io/v1/']);
      expect(parsed.entries[0]?.credential).toMatchObject({
        username: 'hubuser',
        password: 'hubpass',
      });
    });

    it('reads the legacy map when given a dockercfg secret', () => {
      const parsed = parseDockerConfigSecret(loadSecretFixture('legacy-dockercfg'));

      expect(parsed.problems).toEqual([]);
      expect(parsed.entries).toEqual([
        {
          key: 'quay.io',
          credential: {
            username: 'legacy',
            password: 'legacypass',
            source: 'secret team-a/legacycfg',
          },
        },
      ]);
    });

    it('agrees with the secrets the test double seeds when built like kubectl', () => {
      const secret = dockerRegistrySecret({
        namespace: 'ns',
        name: 'n',
        server: 'ghcr.io',
        username: 'u',
        password: 'p',
      });

      expect(parseDockerConfigSecret(secret).entries).toEqual([
        { key: 'ghcr.io', credential: { username: 'u', password: 'p', source: 'secret ns/n' } },
      ]);
    });

    it('lets auth override username and password when both are present', () => {
      const parsed = parseDockerConfigSecret(
        jsonSecret({
          'ghcr.io': { username: 'stale', password: 'stale', auth: base64('fresh:fresh-pass') },
        }),
      );

      expect(parsed.entries[0]?.credential).toMatchObject({
        username: 'fresh',
        password: 'fresh-pass',
      });
    });

    it.each([
      ['user:pass', 'user', 'pass'],
      ['user:pa:ss:', 'user', 'pa:ss:'],
      ['user:', 'user', undefined],
      [':token', undefined, 'token'],
    ])('splits auth %j at the first colon', (auth, username, password) => {
      const parsed = parseDockerConfigSecret(jsonSecret({ 'ghcr.io': { auth: base64(auth) } }));

      expect(parsed.entries[0]?.credential.username).toBe(username);
      expect(parsed.entries[0]?.credential.password).toBe(password);
    });

    it('accepts auth without padding or with line breaks when written by hand', () => {
      const padded = base64('wrapped-user:wrapped-password!');
      const unpadded = padded.replace(/=+$/, '');
      const wrapped = `${padded.slice(0, 8)}\n${padded.slice(8)}`;

      for (const auth of [unpadded, wrapped]) {
        const parsed = parseDockerConfigSecret(jsonSecret({ 'ghcr.io': { auth } }));
        expect(parsed.entries[0]?.credential.password).toBe('wrapped-password!');
      }
    });

    it('keeps identity and registry tokens when an entry has them', () => {
      const parsed = parseDockerConfigSecret(
        jsonSecret({
          'acr.example.com': {
            username: '00000000-0000-0000-0000-000000000000',
            identitytoken: 'refresh',
          },
          'token.example.com': { registrytoken: 'bearer' },
        }),
      );

      expect(parsed.entries.map((entry) => entry.credential)).toEqual([
        {
          username: '00000000-0000-0000-0000-000000000000',
          identityToken: 'refresh',
          source: 'secret team-a/regcred',
        },
        { registryToken: 'bearer', source: 'secret team-a/regcred' },
      ]);
    });

    it('skips an entry that grants nothing when it is empty', () => {
      const parsed = parseDockerConfigSecret(
        jsonSecret({ 'ghcr.io': {}, 'quay.io': { email: 'a@b' } }),
      );

      expect(parsed).toEqual({ entries: [], problems: [] });
    });

    it('keeps the good entries when another entry is malformed', () => {
      const parsed = parseDockerConfigSecret(
        jsonSecret({
          'bad.example.com': { auth: `${SENTINEL}!!` },
          'good.example.com': { username: 'u', password: 'p' },
        }),
      );

      expect(parsed.entries.map((entry) => entry.key)).toEqual(['good.example.com']);
      expect(parsed.problems).toEqual([
        'secret team-a/regcred: entry "bad.example.com": auth is not base64 of "username:password"; ignored',
      ]);
    });

    const badSecrets: [string, DockerConfigSecret, string][] = [
      [
        'its type is dockerconfigjson but its key is .dockercfg',
        secretWithData({
          namespace: 'team-a',
          name: 'regcred',
          type: 'kubernetes.io/dockerconfigjson',
          key: '.dockercfg',
          document: { 'ghcr.io': { username: SENTINEL, password: SENTINEL } },
        }),
        'secret team-a/regcred has type kubernetes.io/dockerconfigjson but no .dockerconfigjson data key (data keys .dockercfg); ignored',
      ],
      [
        'its type is dockercfg but its key is .dockerconfigjson',
        secretWithData({
          namespace: 'team-a',
          name: 'regcred',
          type: 'kubernetes.io/dockercfg',
          key: '.dockerconfigjson',
          document: { auths: { 'ghcr.io': { username: SENTINEL, password: SENTINEL } } },
        }),
        'secret team-a/regcred has type kubernetes.io/dockercfg but no .dockercfg data key (data keys .dockerconfigjson); ignored',
      ],
      [
        'its dockercfg holds the auths layout',
        secretWithData({
          namespace: 'team-a',
          name: 'regcred',
          type: 'kubernetes.io/dockercfg',
          key: '.dockercfg',
          document: { auths: { 'ghcr.io': { username: SENTINEL, password: SENTINEL } } },
        }),
        'secret team-a/regcred: .dockercfg holds the .dockerconfigjson layout ("auths"), not the legacy .dockercfg one; ignored',
      ],
      [
        'it is Opaque',
        secretWithData({
          namespace: 'team-a',
          name: 'regcred',
          type: 'Opaque',
          key: '.dockerconfigjson',
          document: { auths: { 'ghcr.io': { password: SENTINEL } } },
        }),
        'secret team-a/regcred has type Opaque, not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg; ignored',
      ],
      [
        'its data is not base64',
        {
          type: 'kubernetes.io/dockerconfigjson',
          metadata: { namespace: 'team-a', name: 'regcred' },
          data: { '.dockerconfigjson': `{"auths":{"ghcr.io":{"password":"${SENTINEL}"}}}` },
        },
        'secret team-a/regcred: .dockerconfigjson is not valid base64; ignored',
      ],
      [
        'its data is not JSON',
        {
          type: 'kubernetes.io/dockerconfigjson',
          metadata: { namespace: 'team-a', name: 'regcred' },
          data: { '.dockerconfigjson': base64(`{"auths":{"ghcr.io":{"password":"${SENTINEL}"`) },
        },
        'secret team-a/regcred: .dockerconfigjson is not a JSON object; ignored',
      ],
      [
        'its data is a JSON string',
        {
          type: 'kubernetes.io/dockerconfigjson',
          metadata: { namespace: 'team-a', name: 'regcred' },
          data: { '.dockerconfigjson': base64(JSON.stringify(SENTINEL)) },
        },
        'secret team-a/regcred: .dockerconfigjson is not a JSON object; ignored',
      ],
      [
        'it has no auths',
        secretWithData({
          namespace: 'team-a',
          name: 'regcred',
          type: 'kubernetes.io/dockerconfigjson',
          key: '.dockerconfigjson',
          document: { 'ghcr.io': { password: SENTINEL } },
        }),
        'secret team-a/regcred: .dockerconfigjson has no "auths" object; ignored',
      ],
      [
        'an entry is not an object',
        jsonSecret({ 'ghcr.io': SENTINEL }),
        'secret team-a/regcred: entry "ghcr.io" is not an object; ignored',
      ],
      [
        'a field is not a string',
        jsonSecret({ 'ghcr.io': { username: 'u', password: [SENTINEL] } }),
        'secret team-a/regcred: entry "ghcr.io": password is not a string; ignored',
      ],
      [
        'auth has no colon',
        jsonSecret({ 'ghcr.io': { auth: base64(SENTINEL) } }),
        'secret team-a/regcred: entry "ghcr.io": auth is not base64 of "username:password"; ignored',
      ],
      [
        'auth is not UTF-8',
        jsonSecret({
          'ghcr.io': { auth: Buffer.from([0x75, 0x3a, 0xff, 0xfe]).toString('base64') },
        }),
        'secret team-a/regcred: entry "ghcr.io": auth is not base64 of "username:password"; ignored',
      ],
      [
        'a key has no host',
        jsonSecret({ 'https://': { username: 'u', password: SENTINEL } }),
        'secret team-a/regcred: entry "https://" is not a registry host; ignored',
      ],
    ];

    it.each(badSecrets)(
      'reports one problem naming the secret, and no credential, when %s',
      (_case, secret, expected) => {
        const parsed = parseDockerConfigSecret(secret);

        expect(parsed.entries).toEqual([]);
        expect(parsed.problems).toEqual([expected]);
      },
    );

    it.each(badSecrets)('never quotes a value in its problem when %s', (_case, secret) => {
      const text = parseDockerConfigSecret(secret).problems.join('\n');

      expect(text).not.toContain(SENTINEL);
      expect(text).not.toContain(base64(SENTINEL).slice(0, 12));
      expect(text).not.toContain('Zq9');
    });

    it('reports a secret without data when it has none', () => {
      const parsed = parseDockerConfigSecret({
        type: 'kubernetes.io/dockerconfigjson',
        metadata: { namespace: 'team-a', name: 'empty' },
      });

      expect(parsed.problems).toEqual([
        'secret team-a/empty has type kubernetes.io/dockerconfigjson but no .dockerconfigjson data key (no data); ignored',
      ]);
    });
  });

  describe('parseDockerConfigJson', () => {
    it('reports credential stores and helpers as unsupported when present', () => {
      const parsed = parseDockerConfigJson(
        JSON.stringify({ credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud' } }),
        '/home/me/.docker/config.json',
      );

      expect(parsed.entries).toEqual([]);
      expect(parsed.problems).toEqual([
        '/home/me/.docker/config.json: credsStore is not supported; credentials kept in a credential store are not used',
        '/home/me/.docker/config.json: credHelpers are not supported; credentials kept by credential helpers are not used',
      ]);
    });

    it('reports a file that is not JSON without quoting it', () => {
      const parsed = parseDockerConfigJson(
        `{"auths": {"ghcr.io": {"auth": "${SENTINEL}`,
        '/cfg.json',
      );

      expect(parsed.problems).toEqual(['/cfg.json is not a JSON object; ignored']);
    });
  });

  describe('loadDockerConfigFile', () => {
    const fixture = fileURLToPath(
      new URL('../fixtures/docker-config/config.json', import.meta.url),
    );

    it('gives a keyring over the auths and reports helpers when given a docker login config', async () => {
      const loaded = await loadDockerConfigFile(fixture);

      expect(loaded.entries.map((entry) => entry.key)).toEqual([
        'ghcr.io',
        'registry.example.com/team',
      ]);
      expect(loaded.keyring.lookup(parseImageReference('ghcr.io/octocat/app:1'))).toEqual([
        { username: 'octocat', password: 'ghp_token', source: fixture },
      ]);
      expect(loaded.keyring.lookup(parseImageReference('registry.example.com/team/app'))).toEqual([
        { username: 'team-robot', password: 'team-pass', source: fixture },
      ]);
      expect(loaded.keyring.lookup(parseImageReference('nginx'))).toEqual([]);
      expect(loaded.problems).toHaveLength(2);
    });

    it('gives an empty keyring and no problem when the file does not exist', async () => {
      const directory = await mkdtemp(join(tmpdir(), 'docker-config-'));
      try {
        const loaded = await loadDockerConfigFile(join(directory, 'config.json'));

        expect(loaded.entries).toEqual([]);
        expect(loaded.problems).toEqual([]);
        expect(loaded.keyring.lookup(parseImageReference('nginx'))).toEqual([]);
      } finally {
        await rm(directory, { recursive: true });
      }
    });

    it('reports a problem naming the path when the file cannot be read or parsed', async () => {
      const directory = await mkdtemp(join(tmpdir(), 'docker-config-'));
      try {
        const broken = join(directory, 'broken.json');
        await writeFile(broken, `{"auths": ${SENTINEL}`);

        const unreadable = await loadDockerConfigFile(directory);
        const unparsable = await loadDockerConfigFile(broken);

        expect(unreadable.problems).toEqual([
          expect.stringMatching(new RegExp(`^${directory} could not be read: .*EISDIR`)),
        ]);
        expect(unparsable.problems).toEqual([`${broken} is not a JSON object; ignored`]);
      } finally {
        await rm(directory, { recursive: true });
      }
    });
  });
});
