import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors.js';
import { parseGoDuration } from '../../../src/credentials/plugins/go-duration.js';
import {
  loadCredentialProviders,
  parseCredentialProviderConfig,
} from '../../../src/credentials/plugins/provider-config.js';

const HEADER = 'apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\n';
const ECR = `${HEADER}providers:
  - name: ecr-credential-provider
    matchImages:
      - "*.dkr.ecr.*.amazonaws.com"
      - "*.dkr.ecr.*.amazonaws.com.cn"
    defaultCacheDuration: "12h"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    args: [get-credentials]
    env:
      - name: AWS_PROFILE
        value: temp
`;

describe('parseGoDuration', () => {
  it.each([
    ['12h', 12 * 3_600_000],
    ['1h30m', 90 * 60_000],
    ['0.5s', 500],
    ['300ms', 300],
    ['0', 0],
    ['0s', 0],
    ['1m1.5s', 61_500],
    ['-1s', -1000],
  ])('reads %s', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['', '12', 'h', '1d', '1h ', ' 1h', '1h5', '1hh', 'abc'])('refuses %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});

describe('parseCredentialProviderConfig', () => {
  it("reads the kubelet's own example config", () => {
    const { providers, problems } = parseCredentialProviderConfig(ECR, '/bin-dir');

    expect(problems).toEqual([]);
    expect(providers).toEqual([
      {
        name: 'ecr-credential-provider',
        path: '/bin-dir/ecr-credential-provider',
        matchImages: ['*.dkr.ecr.*.amazonaws.com', '*.dkr.ecr.*.amazonaws.com.cn'],
        defaultCacheDurationMs: 12 * 3_600_000,
        apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
        args: ['get-credentials'],
        env: [{ name: 'AWS_PROFILE', value: 'temp' }],
      },
    ]);
  });

  const provider = (fields: string): string =>
    `${HEADER}providers:\n  - name: p\n    matchImages: ["registry.example.com"]\n    defaultCacheDuration: 1h\n    apiVersion: credentialprovider.kubelet.k8s.io/v1\n${fields}`;

  it.each([
    ['not YAML', 'providers: [', /not YAML/],
    ['a list', '- a\n- b\n', /is not a YAML mapping/],
    [
      'another kind',
      'apiVersion: kubelet.config.k8s.io/v1\nkind: KubeletConfiguration\nproviders: []',
      /kind must be CredentialProviderConfig/,
    ],
    [
      'another apiVersion',
      'apiVersion: v1\nkind: CredentialProviderConfig\nproviders: []',
      /apiVersion must be one of kubelet.config.k8s.io\/v1/,
    ],
    ['no providers', `${HEADER}providers: []`, /providers must be a non-empty list/],
    ['an unknown field', `${HEADER}providers: []\nextra: 1`, /unknown field "extra"/],
    ['duplicate keys', `${HEADER}kind: CredentialProviderConfig\nproviders: []`, /not YAML/],
    [
      'a name with a slash',
      provider('').replace('name: p', 'name: ../p'),
      /name must be a file name/,
    ],
    ['no name', provider('').replace('name: p', 'name: ""'), /name is required/],
    [
      'no matchImages',
      provider('').replace('matchImages: ["registry.example.com"]', 'matchImages: []'),
      /matchImages must be a non-empty list/,
    ],
    [
      'a matchImages URL',
      provider('').replace('"registry.example.com"', '"https://registry.example.com"'),
      /matchImages entry "https:\/\/registry.example.com" is not HOST/,
    ],
    [
      'no defaultCacheDuration',
      provider('').replace('    defaultCacheDuration: 1h\n', ''),
      /defaultCacheDuration is required/,
    ],
    [
      'a negative defaultCacheDuration',
      provider('').replace('1h', '-1h'),
      /defaultCacheDuration is required/,
    ],
    [
      'an unknown plugin apiVersion',
      provider('').replace('kubelet.k8s.io/v1', 'kubelet.k8s.io/v2'),
      /provider "p": apiVersion must be one of credentialprovider/,
    ],
    [
      'args that are not strings',
      provider('    args: [1, {a: b}]\n'),
      /args must be a list of strings/,
    ],
    [
      'env without a value',
      provider('    env: [{name: A}]\n'),
      /env\[0\] must be \{name: ENV_NAME, value: "text"\}/,
    ],
    ['tokenAttributes', provider('    tokenAttributes: {}\n'), /tokenAttributes is not supported/],
    [
      'an unknown provider field',
      provider('    cacheDuration: 1h\n'),
      /provider "p": unknown field "cacheDuration"/,
    ],
  ])('refuses a config with %s, saying why', (_what, text, message) => {
    const { providers, problems } = parseCredentialProviderConfig(text, '/bin');

    expect(providers).toEqual([]);
    expect(problems.join('\n')).toMatch(message);
  });

  it('refuses two providers of one name', () => {
    const once = provider('');
    const twice = once + once.slice(once.indexOf('  - name'));

    const { problems } = parseCredentialProviderConfig(twice, '/bin');

    expect(problems).toEqual(['providers[1]: name "p" is used twice']);
  });

  it('reports every problem at once', () => {
    const text = `${HEADER}providers:\n  - name: a\n  - name: b/c\n    matchImages: []\n`;

    const { problems } = parseCredentialProviderConfig(text, '/bin');

    expect(problems.length).toBeGreaterThanOrEqual(5);
  });
});

describe('loadCredentialProviders', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'provider-config-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('refuses at start a provider whose executable is missing or not executable', async () => {
    const configPath = join(directory, 'config.yaml');
    await writeFile(
      configPath,
      ECR.replace(
        '- name: ecr',
        '- name: plain-file\n    matchImages: [a.example.com]\n    defaultCacheDuration: 1h\n    apiVersion: credentialprovider.kubelet.k8s.io/v1\n  - name: ecr',
      ),
    );
    await writeFile(join(directory, 'plain-file'), 'not executable');
    await chmod(join(directory, 'plain-file'), 0o644);

    const loading = loadCredentialProviders(configPath, directory);

    await expect(loading).rejects.toThrow(ConfigError);
    await expect(loading).rejects.toThrow(/provider "plain-file": .*plain-file is not executable/);
    await expect(loading).rejects.toThrow(
      /provider "ecr-credential-provider": .*ecr-credential-provider does not exist/,
    );
  });

  it('names a config file it cannot read', async () => {
    await expect(
      loadCredentialProviders(join(directory, 'missing.yaml'), directory),
    ).rejects.toThrow(/--image-credential-provider-config .*missing.yaml: .*ENOENT/);
  });
});
