import { constants } from 'node:buffer';
import { ConfigError } from '../../src/errors.js';
import { loadConfig } from '../../src/config/load-config.js';

describe('load-config', () => {
  it('uses the documented defaults when nothing is given', () => {
    const { config } = loadConfig('serve', [], {});

    expect(config).toMatchObject({
      port: 8443,
      metricsPort: 9090,
      cacheTtlMs: 300_000,
      cacheMaxEntries: 10_000,
      staleIfErrorMs: 3_600_000,
      errorTtlMs: 5000,
      resolveTimeoutMs: 3000,
      failurePolicy: 'ignore',
      updatePolicy: 'sticky',
      podsOnly: false,
      noTag: false,
      allNamespaces: false,
      secretCacheTtlMs: 30_000,
      insecureRegistries: [],
    });
    expect(config.tlsCert).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every flag from DIGEST_PINNER_<FLAG> when the flag is absent', () => {
    const { config } = loadConfig('serve', [], {
      DIGEST_PINNER_CACHE_TTL: '90s',
      DIGEST_PINNER_FAILURE_POLICY: 'fail',
      DIGEST_PINNER_NO_TAG: 'true',
      DIGEST_PINNER_PODS_ONLY: 'true',
      DIGEST_PINNER_INSECURE_REGISTRY: 'localhost:5000, 127.0.0.1:5001',
    });

    expect(config.cacheTtlMs).toBe(90_000);
    expect(config.failurePolicy).toBe('fail');
    expect(config.noTag).toBe(true);
    expect(config.podsOnly).toBe(true);
    expect(config.insecureRegistries).toEqual(['localhost:5000', '127.0.0.1:5001']);
  });

  it('prefers a flag over its environment variable', () => {
    const { config } = loadConfig('serve', ['--cache-ttl', '2m'], {
      DIGEST_PINNER_CACHE_TTL: '90s',
    });

    expect(config.cacheTtlMs).toBe(120_000);
  });

  it('collects repeatable flags in order', () => {
    const { config } = loadConfig(
      'serve',
      ['--insecure-registry', 'a.local:5000', '--insecure-registry=b.local'],
      {},
    );

    expect(config.insecureRegistries).toEqual(['a.local:5000', 'b.local']);
  });

  it('reads --skip-image patterns and --enforce, refusing bad patterns at start', () => {
    const { config } = loadConfig(
      'serve',
      [
        '--enforce',
        'warn',
        '--skip-image',
        'registry.internal/*',
        '--skip-image',
        '*/istio/proxyv2:*',
      ],
      {},
    );

    expect(config.enforce).toBe('warn');
    expect(config.skipImages.map((pattern) => pattern.text)).toEqual([
      'registry.internal/*',
      '*/istio/proxyv2:*',
    ]);
    expect(() => loadConfig('serve', ['--skip-image', '*'], {})).toThrow(
      /--skip-image \(DIGEST_PINNER_SKIP_IMAGE\): "\*" would skip every image/,
    );
    expect(() => loadConfig('serve', [], { DIGEST_PINNER_SKIP_IMAGE: 'quay.io/*,a b' })).toThrow(
      /"a b" may hold only what an image reference holds/,
    );
    expect(() => loadConfig('serve', ['--enforce', 'block'], {})).toThrow(
      /"block" is not one of off, warn, deny/,
    );
  });

  it('reads audit --fail-on as a comma-separated list, repeatable, and checks what it needs', () => {
    const { config } = loadConfig(
      'audit',
      ['--fail-on', 'unpinned,drift', '--fail-on', 'moved', '--check-tags'],
      {},
    );

    expect(config.failOn).toEqual(['unpinned', 'drift', 'moved']);
    expect(
      loadConfig('audit', [], { DIGEST_PINNER_FAIL_ON: 'drift,unpinned' }).config.failOn,
    ).toEqual(['drift', 'unpinned']);
    expect(() => loadConfig('audit', ['--fail-on', 'moved'], {})).toThrow(
      /--fail-on moved needs --check-tags/,
    );
  });

  it('reports every bad value at once, naming flag, variable and value', () => {
    const error = captureConfigError(() =>
      loadConfig('serve', ['--port', '99999', '--failure-policy', 'maybe'], {
        DIGEST_PINNER_CACHE_TTL: 'soon',
      }),
    );

    expect(error.problems).toHaveLength(3);
    expect(error.message).toContain('--port (DIGEST_PINNER_PORT): "99999" is not a port number');
    expect(error.message).toContain('"maybe" is not one of ignore, fail');
    expect(error.message).toContain(
      '--cache-ttl (DIGEST_PINNER_CACHE_TTL): "soon" is not a duration',
    );
  });

  it.each([
    [['--resolve-timeout', '30s'], /below 30s/],
    [['--resolve-timeout', '10ms'], /at least 100ms/],
    [['--tls-cert', 'cert.pem'], /--tls-cert and --tls-key go together/],
    [['--port', '9090'], /must differ/],
    [['--insecure-registry', 'https://x.io'], /not HOST or HOST:PORT/],
    [['--cache-max-entries', '0'], /positive whole number/],
    [['--body-limit', String(constants.MAX_STRING_LENGTH + 1)], /be read as text/],
    [['--cache-ttl', '0'], /must be more than 0/],
    [['--not-found-ttl', '0s'], /must be more than 0/],
    [['--secret-cache-ttl', '0ms'], /must be more than 0/],
    [['--no-such-flag'], /unknown flag: --no-such-flag/],
  ])('rejects %p', (argv, problem) => {
    expect(() => loadConfig('serve', argv, {})).toThrow(problem);
  });

  it('takes a --body-limit up to what V8 can hold as text', () => {
    const most = String(constants.MAX_STRING_LENGTH);

    expect(loadConfig('serve', ['--body-limit', most], {}).config.bodyLimitBytes).toBe(
      constants.MAX_STRING_LENGTH,
    );
  });

  it('reads an --error-ttl of 0 as "not remembered"', () => {
    expect(loadConfig('serve', ['--error-ttl', '0'], {}).config.errorTtlMs).toBe(0);
    expect(loadConfig('serve', ['--error-ttl', '2s'], {}).config.errorTtlMs).toBe(2000);
  });

  it('keeps resolve-only flags out of serve and parses the platform for resolve', () => {
    expect(() => loadConfig('serve', ['--platform', 'linux/arm64'], {})).toThrow(
      "--platform is a flag of 'resolve', 'pin' and 'krm', not of 'serve'",
    );

    const { config, positionals } = loadConfig(
      'resolve',
      ['--platform', 'linux/arm/v7', 'nginx:1.27'],
      {},
    );
    expect(config.platform).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(positionals).toEqual(['nginx:1.27']);
  });

  it('reads the platform the way the registry client matches it, lowercased', () => {
    const { config } = loadConfig('resolve', ['--platform', 'Linux/ARM64'], {});

    expect(config.platform).toEqual({ os: 'linux', architecture: 'arm64' });
  });

  it.each(['::1', '127.0.0.1', '0.0.0.0', '::'])('listens on the IP address %s', (address) => {
    expect(loadConfig('serve', ['--address', address], {}).config.address).toBe(address);
  });

  it.each(['localhost', '1.2.3', '127.0.0.1:80', '::g', 'example.com'])(
    'refuses %j as an address to listen on',
    (address) => {
      expect(() => loadConfig('serve', ['--address', address], {})).toThrow(
        `--address (DIGEST_PINNER_ADDRESS): "${address}" is not an IPv4 or IPv6 address`,
      );
    },
  );

  it('bounds the resolve deadline by the webhook timeout for serve only', () => {
    expect(
      loadConfig('resolve', ['--resolve-timeout', '2m', 'x'], {}).config.resolveTimeoutMs,
    ).toBe(120_000);
    expect(() => loadConfig('serve', ['--resolve-timeout', '2m'], {})).toThrow(/below 30s/);
    expect(() => loadConfig('resolve', ['--resolve-timeout', '10ms'], {})).toThrow(
      '"10ms" must be at least 100ms',
    );
  });

  it('gives each command its own default for a field with an option per command', () => {
    expect(loadConfig('serve', [], {}).config.resolveTimeoutMs).toBe(3000);
    expect(loadConfig('resolve', [], {}).config.resolveTimeoutMs).toBe(30_000);
  });

  it('takes -o as --output, and a switch written --flag=false', () => {
    const { config } = loadConfig('resolve', ['-o', 'json', '--no-tag=false', 'x'], {});

    expect(config.output).toBe('json');
    expect(config.noTag).toBe(false);
  });

  it('reads no file unless given a reader, and then only the files given', () => {
    const read: string[] = [];
    const readFile = (path: string): string => {
      read.push(path);
      return '{}';
    };

    loadConfig('serve', ['--docker-config', 'a.json'], {});
    loadConfig('serve', ['--docker-config', 'a.json', '--docker-config', 'b.json'], {}, readFile);

    expect(read).toEqual(['b.json']);
  });

  it('answers --help without validating anything else', () => {
    expect(loadConfig('serve', ['--help', '--port', 'x'], {}).help).toBe(true);
  });
});

function captureConfigError(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
