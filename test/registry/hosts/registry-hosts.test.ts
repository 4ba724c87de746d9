import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MatchingKeyring } from '../../../src/credentials/credential-matching.js';
import { ConfigError } from '../../../src/errors.js';
import { parseImageReference } from '../../../src/image/reference.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { parseHostsFile } from '../../../src/registry/hosts/hosts-file.js';
import { RegistryHosts } from '../../../src/registry/hosts/registry-hosts.js';
import { startFaultRegistry } from '../../support/fault-registry.js';
import { createClientCertificate, writeServingCertificate } from '../../support/certificates.js';
import { buildImageManifest } from '../../support/image-push.js';

describe('parseHostsFile', () => {
  it("reads containerd's example: server, hosts in order, capabilities, ca, client, header", () => {
    const text = [
      'server = "https://registry-1.docker.io"',
      '',
      '[host."https://mirror.example.com:5000"]',
      '  capabilities = ["pull", "resolve"]',
      '  ca = "mirror-ca.pem"',
      '  client = [["/certs/client.cert", "/certs/client.key"], "/certs/both.pem"]',
      '  [host."https://mirror.example.com:5000".header]',
      '    x-custom = ["a", "b"]',
      '',
      '[host."http://cache.local/registry/v2"]',
      '  capabilities = ["pull"]',
      '  override_path = true',
      '  skip_verify = true',
    ].join('\n');

    const { file, problems } = parseHostsFile(text, '/etc/containerd/certs.d/docker.io');

    expect(problems).toEqual([]);
    expect(file?.server?.url.href).toBe('https://registry-1.docker.io/');
    expect(file?.hosts.map((host) => host.url.href)).toEqual([
      'https://mirror.example.com:5000/',
      'http://cache.local/registry/v2',
    ]);
    const [first, second] = file!.hosts;
    expect([...first!.capabilities]).toEqual(['pull', 'resolve']);
    expect(first!.caFiles).toEqual(['/etc/containerd/certs.d/docker.io/mirror-ca.pem']);
    expect(first!.clientPairs).toEqual([
      { certFile: '/certs/client.cert', keyFile: '/certs/client.key' },
      { certFile: '/certs/both.pem', keyFile: '/certs/both.pem' },
    ]);
    expect(first!.headers).toEqual({ 'x-custom': 'a, b' });
    expect([...second!.capabilities]).toEqual(['pull']);
    expect(second!.overridePath).toBe(true);
    expect(second!.skipVerify).toBe(true);
  });

  it('gives hosts without capabilities pull and resolve', () => {
    const { file } = parseHostsFile('[host."mirror:5000"]\n', '/d');

    expect(file?.hosts[0]?.url.href).toBe('https://mirror:5000/');
    expect([...file!.hosts[0]!.capabilities]).toEqual(['pull', 'resolve']);
  });

  it.each([
    ['not TOML', 'server = ', /is not TOML at line 1/],
    ['an unknown key', 'mirrors = []', /unknown key "mirrors"/],
    ['a server that is not a URL', 'server = "ftp://x"', /server must be an http or https URL/],
    [
      'an unknown capability',
      '[host."https://m"]\ncapabilities = ["fetch"]',
      /capabilities must be a list of pull, resolve, push/,
    ],
    [
      'an unknown host key',
      '[host."https://m"]\nmirror = true',
      /\[host."https:\/\/m"\]: unknown key "mirror"/,
    ],
    [
      'a skip_verify that is not a boolean',
      'skip_verify = "yes"',
      /skip_verify must be true or false/,
    ],
    ['a bad client', '[host."https://m"]\nclient = [1]', /client must be a path/],
    [
      'a header with a line break',
      '[host."https://m".header]\nx = "a\\nb"',
      /header "x" must be a value/,
    ],
  ])('refuses %s, saying why', (_what, text, message) => {
    const { file, problems } = parseHostsFile(text, '/d');

    expect(file).toBeUndefined();
    expect(problems.join('\n')).toMatch(message);
  });
});

describe('RegistryHosts', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'registry-hosts-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function write(host: string, text: string): Promise<void> {
    await mkdir(join(directory, host), { recursive: true });
    await writeFile(join(directory, host, 'hosts.toml'), text);
  }

  it('gives mirrors in order, then the server, with containerd API roots', async () => {
    await write(
      'docker.io',
      '[host."https://a.example"]\n[host."http://b.example/cache/v2"]\noverride_path = true\n',
    );
    const hosts = await RegistryHosts.load(directory, {
      insecureRegistries: [],
      caCertificates: [],
    });

    const endpoints = hosts.endpointsFor('docker.io')!;

    expect(endpoints.map((endpoint) => [endpoint.apiRoot.href, endpoint.isServer])).toEqual([
      ['https://a.example/v2', false],
      ['http://b.example/cache/v2', false],
      ['https://registry-1.docker.io/v2', true],
    ]);
    expect(hosts.plainHttpHosts).toEqual(['b.example']);
    await hosts.close();
  });

  it('uses _default for registries without their own directory, and nothing without either', async () => {
    await write('_default', '[host."https://mirror.example"]\n');
    await write('quay.io', 'server = "https://quay.example"\n');
    const hosts = await RegistryHosts.load(directory, {
      insecureRegistries: ['plain.example:5000'],
      caCertificates: [],
    });

    expect(hosts.endpointsFor('plain.example:5000')?.map((e) => e.apiRoot.href)).toEqual([
      'https://mirror.example/v2',
      'http://plain.example:5000/v2',
    ]);
    expect(hosts.endpointsFor('quay.io')?.map((e) => e.apiRoot.href)).toEqual([
      'https://quay.example/v2',
    ]);
    await hosts.close();
    await rm(join(directory, '_default'), { recursive: true });
    const without = await RegistryHosts.load(directory, {
      insecureRegistries: [],
      caCertificates: [],
    });
    expect(without.endpointsFor('ghcr.io')).toBeUndefined();
    await without.close();
  });

  it('refuses at start a CA or client file that is missing, naming file and host', async () => {
    await write(
      'registry.example',
      'ca = "missing-ca.pem"\n[host."https://m.example"]\nclient = "nope.pem"\n',
    );

    const loading = RegistryHosts.load(directory, { insecureRegistries: [], caCertificates: [] });

    await expect(loading).rejects.toThrow(ConfigError);
    await expect(loading).rejects.toThrow(
      /registry\.example\/hosts\.toml: server: ca .*missing-ca\.pem: .*ENOENT/,
    );
    await expect(loading).rejects.toThrow(
      /\[host."https:\/\/m\.example\/"\]: client certificate .*nope\.pem/,
    );
  });

  describe('a host folder without hosts.toml (docker-style certificate files)', () => {
    const noOptions = { insecureRegistries: [], caCertificates: [] };

    async function files(host: string, entries: Record<string, string>): Promise<string> {
      const folder = join(directory, host);
      await mkdir(folder, { recursive: true });
      for (const [name, text] of Object.entries(entries)) {
        await writeFile(join(folder, name), text);
      }
      return folder;
    }

    it('gives the registry its own server with the TLS of a ca.crt, named as where it is fixed', async () => {
      const { caPem } = createClientCertificate();
      const folder = await files('registry.example:5000', { 'ca.crt': caPem });
      const hosts = await RegistryHosts.load(directory, noOptions);

      const endpoints = hosts.endpointsFor('registry.example:5000')!;

      expect(endpoints).toHaveLength(1);
      expect(endpoints[0]).toMatchObject({
        host: 'registry.example:5000',
        isServer: true,
        tlsConfiguredIn: join(folder, '*.crt'),
      });
      expect(endpoints[0]!.apiRoot.href).toBe('https://registry.example:5000/v2');
      expect(endpoints[0]!.dispatcher).toBeDefined();
      await hosts.close();
    });

    it('loads a client.cert with its client.key as a client certificate pair', async () => {
      const client = createClientCertificate();
      await files('registry.example', {
        'client.cert': client.certPem,
        'client.key': client.keyPem,
      });
      const hosts = await RegistryHosts.load(directory, noOptions);

      const [server] = hosts.endpointsFor('registry.example')!;

      expect(server).toMatchObject({
        isServer: true,
        capabilities: new Set(['pull', 'resolve', 'push']),
      });
      expect(server!.dispatcher).toBeDefined();
      await hosts.close();
    });

    it('asks the server alone for a folder without files, not the _default mirrors', async () => {
      await write('_default', '[host."https://mirror.example"]\n');
      await files('registry.example', {});
      const hosts = await RegistryHosts.load(directory, noOptions);

      const endpoints = hosts.endpointsFor('registry.example')!;

      expect(endpoints.map((endpoint) => endpoint.apiRoot.href)).toEqual([
        'https://registry.example/v2',
      ]);
      expect(endpoints[0]!.dispatcher).toBeUndefined();
      await hosts.close();
    });

    it.each([
      [
        'a lone client.cert',
        { 'client.cert': 'cert' },
        /: client certificate client\.cert has no client\.key beside it/,
      ],
      [
        'a lone client.key',
        { 'client.key': 'key' },
        /: client key client\.key has no client\.cert beside it/,
      ],
      [
        'a ca.crt that is not PEM',
        { 'ca.crt': 'not a certificate' },
        /: ca .*ca\.crt: holds no PEM certificate/,
      ],
      [
        'a client.key that is not the key of client.cert',
        {
          'client.cert': createClientCertificate().certPem,
          'client.key': createClientCertificate().keyPem,
        },
        /: client key .*client\.key is not the key of .*client\.cert/,
      ],
    ])('refuses at start %s, naming the folder and file', async (_what, entries, message) => {
      const folder = await files('registry.example', entries);

      const loading = RegistryHosts.load(directory, noOptions);

      await expect(loading).rejects.toThrow(ConfigError);
      await expect(loading).rejects.toThrow(folder);
      await expect(loading).rejects.toThrow(message);
    });
  });

  it('names a directory it cannot read', async () => {
    await expect(
      RegistryHosts.load(join(directory, 'none'), { insecureRegistries: [], caCertificates: [] }),
    ).rejects.toThrow(`--registry-config-dir: ${join(directory, 'none')} does not exist`);
  });
});

describe('RegistryClient with registry hosts', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'registry-hosts-client-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("never sends a mirror the credential of the image's registry when its key does not match the mirror", async () => {
    const mirror = await startFaultRegistry({
      fault: (request) =>
        request.headers.authorization === undefined
          ? { status: 401, headers: { 'www-authenticate': 'Basic realm="mirror"' } }
          : undefined,
    });
    const manifest = buildImageManifest();
    mirror.addManifest('team/app', '1.0', {
      mediaType: manifest.mediaType,
      bytes: manifest.bytes,
      digest: manifest.digest,
    });
    const upstream = 'registry.invalid:5000';
    await mkdir(join(directory, upstream), { recursive: true });
    await writeFile(
      join(directory, upstream, 'hosts.toml'),
      `server = "http://127.0.0.1:1"\n[host."http://${mirror.host}"]\n`,
    );
    const hosts = await RegistryHosts.load(directory, {
      insecureRegistries: [],
      caCertificates: [],
    });
    const client = new RegistryClient({
      hosts,
      insecureRegistries: hosts.plainHttpHosts,
      retry: { attempts: 1 },
    });
    const keyring = new MatchingKeyring([
      { key: upstream, credential: { username: 'u', password: 'upstream-only', source: 'test' } },
    ]);
    const reference = parseImageReference(`${upstream}/team/app:1.0`);
    const [credential] = keyring.lookup(reference);
    try {
      await expect(
        client.resolveDigest(reference, {
          credential: credential!,
          signal: AbortSignal.timeout(5000),
        }),
      ).rejects.toThrow();

      expect(mirror.count('HEAD', '/v2/team/app/manifests/1.0')).toBeGreaterThan(0);
      expect(mirror.requests.every((request) => request.headers.authorization === undefined)).toBe(
        true,
      );
    } finally {
      await client.close();
      await hosts.close();
      await mirror.stop();
    }
  });

  it("points a TLS failure of a host with its own ca at that host's hosts.toml, not at --registry-ca", async () => {
    const serving = await writeServingCertificate(directory);
    const { caPem: untrusted } = createClientCertificate();
    const registry = await startFaultRegistry({
      tls: { certPem: serving.certPem, keyPem: serving.keyPem },
    });
    await mkdir(join(directory, registry.host));
    await writeFile(join(directory, registry.host, 'other-ca.pem'), untrusted);
    await writeFile(join(directory, registry.host, 'hosts.toml'), 'ca = "other-ca.pem"\n');
    const hosts = await RegistryHosts.load(directory, {
      insecureRegistries: [],
      caCertificates: [],
    });
    const client = new RegistryClient({ hosts, retry: { attempts: 1 } });
    try {
      const resolving = client.resolveDigest(parseImageReference(`${registry.host}/team/app:1.0`), {
        signal: AbortSignal.timeout(5000),
      });

      await expect(resolving).rejects.toThrow(
        `: trust its CA in ${join(directory, registry.host, 'hosts.toml')}`,
      );
      await expect(resolving).rejects.not.toThrow('--registry-ca');
    } finally {
      await client.close();
      await hosts.close();
      await registry.stop();
    }
  });
});
