/**
 * Kubelet credential provider plugins for tests: a real executable (a node script with a
 * `#!/usr/bin/env node` shebang) in a temporary bin dir, speaking the real exec protocol — the
 * CredentialProviderRequest on stdin, the CredentialProviderResponse on stdout. What it does is
 * chosen per provider through its `args` and `env` in the CredentialProviderConfig, as an
 * operator would configure a real one. Every request it gets is appended to a log file, so tests
 * count execs and see the images asked for.
 *
 *   const plugins = await createPluginBinDir();
 *   const config = await plugins.writeConfig([plugins.provider('ecr', { matchImages: [host], ... })]);
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How the plugin behaves. */
export type PluginMode =
  'answer' | 'hang' | 'exit-1' | 'garbage' | 'huge' | 'other-api-version' | 'slow-answer';

export interface TestProvider {
  readonly name: string;
  readonly matchImages: readonly string[];
  readonly mode?: PluginMode;
  /** The auth the plugin answers: pattern → username/password. */
  readonly auth?: Readonly<Record<string, { username: string; password: string }>>;
  /** Image, Registry or Global; anything else to see it refused. */
  readonly cacheKeyType?: string;
  /** Omitted from the response when undefined. */
  readonly cacheDuration?: string;
  readonly defaultCacheDuration?: string;
  readonly apiVersion?: string;
  /** `slow-answer`: milliseconds before answering. */
  readonly delayMs?: number;
}

export interface PluginBinDir {
  readonly binDir: string;
  /** Writes a CredentialProviderConfig for these providers (and their plugin files); its path. */
  writeConfig(providers: readonly TestProvider[]): Promise<string>;
  /** The images each plugin was asked for, in order. */
  requests(name: string): Promise<string[]>;
  remove(): Promise<void>;
}

/** A provider that answers one user's login for exactly one registry host. */
export function registryLoginProvider(
  name: string,
  host: string,
  user: { readonly name: string; readonly password: string },
): TestProvider {
  return {
    name,
    matchImages: [host],
    auth: { [host]: { username: user.name, password: user.password } },
    cacheKeyType: 'Registry',
  };
}

/** The command line flags that give a command these plugins, configured by `configPath`. */
export function pluginFlags(plugins: PluginBinDir, configPath: string): string[] {
  return [
    '--image-credential-provider-config',
    configPath,
    '--image-credential-provider-bin-dir',
    plugins.binDir,
  ];
}

const PROTOCOL = 'credentialprovider.kubelet.k8s.io/v1';

/** The plugin: CommonJS (the temp dir has no package.json), and no dependencies. */
const PLUGIN_SOURCE = `#!/usr/bin/env node
const fs = require('node:fs');
const [mode, logFile] = process.argv.slice(2);
const settings = JSON.parse(process.env.TEST_PLUGIN_SETTINGS || '{}');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const request = JSON.parse(input);
  if (request.kind !== 'CredentialProviderRequest' || typeof request.image !== 'string') {
    process.stderr.write('not a CredentialProviderRequest\\n');
    process.exit(2);
  }
  fs.appendFileSync(logFile, request.image + '\\n');
  const response = {
    apiVersion: settings.apiVersion,
    kind: 'CredentialProviderResponse',
    cacheKeyType: settings.cacheKeyType,
    auth: settings.auth,
  };
  if (settings.cacheDuration !== undefined) response.cacheDuration = settings.cacheDuration;
  switch (mode) {
    case 'hang':
      setInterval(() => undefined, 1000);
      return;
    case 'exit-1':
      process.stderr.write('plugin: could not reach the cloud API\\n');
      process.exit(1);
      return;
    case 'garbage':
      process.stdout.write('<html>not json</html>');
      return;
    case 'huge':
      process.stdout.write('x'.repeat(10 * 1024 * 1024));
      return;
    case 'other-api-version':
      response.apiVersion = 'credentialprovider.kubelet.k8s.io/v9';
      process.stdout.write(JSON.stringify(response));
      return;
    case 'slow-answer':
      setTimeout(() => process.stdout.write(JSON.stringify(response)), settings.delayMs);
      return;
    default:
      process.stdout.write(JSON.stringify(response));
  }
});
`;

export async function createPluginBinDir(): Promise<PluginBinDir> {
  const binDir = await mkdtemp(join(tmpdir(), 'digest-pinner-plugins-'));
  const logFile = (name: string): string => join(binDir, `${name}.requests`);
  return {
    binDir,
    async writeConfig(providers) {
      const entries = [];
      for (const provider of providers) {
        const path = join(binDir, provider.name);
        await writeFile(path, PLUGIN_SOURCE);
        await chmod(path, 0o755);
        await writeFile(logFile(provider.name), '');
        const settings = {
          apiVersion: provider.apiVersion ?? PROTOCOL,
          cacheKeyType: provider.cacheKeyType ?? 'Image',
          auth: provider.auth ?? {},
          cacheDuration: provider.cacheDuration,
          delayMs: provider.delayMs ?? 0,
        };
        entries.push({
          name: provider.name,
          matchImages: provider.matchImages,
          defaultCacheDuration: provider.defaultCacheDuration ?? '10m',
          apiVersion: provider.apiVersion ?? PROTOCOL,
          args: [provider.mode ?? 'answer', logFile(provider.name)],
          env: [{ name: 'TEST_PLUGIN_SETTINGS', value: JSON.stringify(settings) }],
        });
      }
      const configPath = join(binDir, 'credential-provider-config.yaml');
      // JSON is YAML: the kubelet's file format, without a YAML writer.
      await writeFile(
        configPath,
        JSON.stringify({
          apiVersion: 'kubelet.config.k8s.io/v1',
          kind: 'CredentialProviderConfig',
          providers: entries,
        }),
      );
      return configPath;
    },
    async requests(name) {
      const text = await readFile(logFile(name), 'utf8');
      return text.split('\n').filter((line) => line.length > 0);
    },
    remove: () => rm(binDir, { recursive: true, force: true }),
  };
}
