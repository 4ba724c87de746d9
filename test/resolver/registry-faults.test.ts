/**
 * Admission under registry faults, through the real HTTPS service: for each fault the registry
 * double produces, a Pod review is answered within --resolve-timeout + 1 s, under the failure
 * policy, with the cause in the warning, and never with a wrong digest. The service logs at trace
 * level, and no line of it may carry the credential or a token.
 */
import { Readable } from 'node:stream';
import { applyPatch, type Operation } from 'fast-json-patch';
import { loadConfig } from '../../src/config/load-config.js';
import { MatchingKeyring } from '../../src/credentials/credential-matching.js';
import { StaticCredentialProvider } from '../../src/credentials/provider.js';
import { startService, type RunningService } from '../../src/cli/commands/serve.js';
import { everyNamespace } from '../../src/cli/commands/common-parts.js';
import type { TlsSource } from '../../src/tls/tls-source.js';
import {
  startFaultRegistry,
  type FaultHandler,
  type FaultRegistry,
  type FaultReply,
  type FaultRequest,
  type FaultResponse,
} from '../support/fault-registry.js';
import { imagesOf, podReview } from '../support/fixtures.js';
import { HttpsTestClient, testCertificate } from '../support/https.js';
import { testLogging } from '../support/logging.js';
import { buildImageManifest } from '../support/image-push.js';
import { LOOPBACK_SERVE_FLAGS } from '../support/serve-flags.js';

const RESOLVE_TIMEOUT_MS = 2500;
const manifest = buildImageManifest({ seed: 'registry-faults' });
const impostor = buildImageManifest({ seed: 'registry-faults-impostor' });
const user = 'fault-robot';
const password = 'pw-never-in-a-log-7f3a';
const basic = Buffer.from(`${user}:${password}`).toString('base64');
const TOKEN = 'tok-never-in-a-log-91c2';

interface Hosts {
  /** The registry the image names, listed insecure. */
  readonly registry: FaultRegistry;
  /** Another server: a token server on another port, or a registry left unlisted. */
  readonly other: FaultRegistry;
  /** `127.0.0.1:PORT` where nothing listens. */
  readonly closed: string;
}

interface FaultCase {
  readonly name: string;
  readonly fault: (hosts: Hosts) => FaultHandler;
  /** The registry part of the image; the fault registry by default. */
  readonly registryOf?: (hosts: Hosts) => string;
  /** `pinned`, or what the warning says after `not pinned: `. */
  readonly expected: 'pinned' | RegExp;
  /** Answered this fast, when the fault allows no waiting at all. */
  readonly withinMs?: number;
}

const ok = (): FaultResponse => ({
  status: 200,
  headers: { 'docker-content-digest': manifest.digest, 'content-type': manifest.mediaType },
  body: manifest.bytes,
});

const isManifest = (request: FaultRequest): boolean => request.path.includes('/manifests/');

/** Fails the first manifest request with `first`, then lets the plain protocol answer. */
function firstThen(first: FaultReply): FaultHandler {
  let failed = false;
  return (request) => {
    if (!isManifest(request) || failed) return undefined;
    failed = true;
    return first;
  };
}

/** A registry asking for a Bearer token from `realm`, served a token by `tokenAnswer` if its own. */
function bearer(realm: string, tokenAnswer?: () => FaultReply): FaultHandler {
  return (request) => {
    if (request.path.startsWith('/token')) return tokenAnswer?.();
    if (request.headers.authorization === `Bearer ${TOKEN}`) return undefined;
    return {
      status: 401,
      headers: { 'www-authenticate': `Bearer realm="${realm}",service="faults"` },
      body: '{"errors":[{"code":"UNAUTHORIZED"}]}',
    };
  };
}

const tokenAnswer = (): FaultReply => ({ status: 200, body: JSON.stringify({ token: TOKEN }) });

const endless = (): Readable =>
  new Readable({
    read() {
      this.push(Buffer.alloc(1024 * 1024, 0x20));
    },
  });

const CASES: readonly FaultCase[] = [
  { name: 'never answers', fault: () => () => 'hang', expected: /^timeout/ },
  {
    name: 'answers after the deadline',
    fault: () => (request) =>
      isManifest(request) ? { ...ok(), delayMs: RESOLVE_TIMEOUT_MS + 1000 } : undefined,
    expected: /^timeout/,
  },
  {
    name: 'resets every connection',
    fault: () => () => 'reset',
    expected: /^unavailable: UND_ERR_SOCKET 127\.0\.0\.1:\d+$/,
  },
  { name: 'answers 500, then 200', fault: () => firstThen({ status: 500 }), expected: 'pinned' },
  {
    name: 'answers 429 with a short Retry-After, then 200',
    fault: () => firstThen({ status: 429, headers: { 'retry-after': '1' } }),
    expected: 'pinned',
  },
  {
    name: 'answers 429 with an hour-long Retry-After',
    fault: () => (request) =>
      isManifest(request) ? { status: 429, headers: { 'retry-after': '3600' } } : undefined,
    expected: /^rate-limited: HTTP 429, retry after 3600s$/,
    withinMs: 500,
  },
  {
    name: 'leaves out the digest header and serves a body that lies about its digest',
    fault: () => (request) => {
      if (!isManifest(request)) return undefined;
      if (request.method === 'HEAD') return { status: 200 };
      return {
        status: 200,
        headers: { 'docker-content-digest': manifest.digest, 'content-type': impostor.mediaType },
        body: impostor.bytes,
      };
    },
    expected: /^bad-digest: manifest does not hash to its digest$/,
  },
  {
    name: 'serves an endless manifest body',
    fault: () => (request) => {
      if (!isManifest(request)) return undefined;
      return request.method === 'HEAD' ? { status: 200 } : { status: 200, body: endless() };
    },
    // Read up to the cap and refused; on a machine too busy to read 4 MiB in time, the deadline.
    expected: /^(protocol: manifest over 4 MiB|timeout.*)$/,
  },
  {
    name: 'issues a huge token',
    fault: ({ registry }) =>
      bearer(`${registry.url}/token`, () => ({
        status: 200,
        body: JSON.stringify({ token: 'x'.repeat(2 * 1024 * 1024) }),
      })),
    expected: /^protocol: no token from 127\.0\.0\.1:\d+$/,
  },
  {
    name: 'redirects to a link-local address',
    fault: () => (request) =>
      isManifest(request)
        ? { status: 307, headers: { location: 'http://169.254.169.254/latest/meta-data/' } }
        : undefined,
    expected: /^protocol: HTTP 307$/,
  },
  {
    name: 'names a token realm on a link-local address',
    fault: () => bearer('http://169.254.169.254/token'),
    expected: /^forbidden-target: token realm 169\.254\.169\.254: link-local address$/,
  },
  {
    name: 'names an http token realm on another port of the insecure registry',
    fault: ({ other }) => {
      other.setFault(tokenAnswer);
      return bearer(`${other.url}/token`);
    },
    expected: 'pinned',
  },
  {
    name: 'speaks plain http where https is expected',
    fault: () => () => undefined,
    registryOf: ({ other }) => other.host,
    expected: /^protocol: tls: plain http\? list it with --insecure-registry$/,
  },
  {
    name: 'is not listening',
    fault: () => () => undefined,
    registryOf: ({ closed }) => closed,
    expected: /^unavailable: ECONNREFUSED 127\.0\.0\.1:\d+$/,
  },
];

interface Answer {
  response: { uid: string; allowed: boolean; patch?: string; warnings?: string[] };
}

/** The certificate made once per test process, as a TLS source that never changes. */
function fixedTls(): TlsSource {
  const { certPem, keyPem, caPem } = testCertificate();
  return {
    current: { certPem, keyPem, caPem },
    onChange: () => undefined,
    onError: () => undefined,
    watch: () => undefined,
    close: () => undefined,
  };
}

describe('admission under registry faults', () => {
  let hosts: Hosts;
  let service: RunningService | undefined;
  let client: HttpsTestClient | undefined;
  let logLines: string[];

  beforeEach(async () => {
    const registry = await startFaultRegistry();
    const other = await startFaultRegistry();
    const gone = await startFaultRegistry();
    await gone.stop();
    registry.addManifest('app', 'v1', manifest);
    other.addManifest('app', 'v1', manifest);
    hosts = { registry, other, closed: gone.host };
    logLines = [];
  });

  afterEach(async () => {
    await client?.close();
    await service?.close();
    await hosts.registry.stop();
    await hosts.other.stop();
  });

  async function admit(image: string): Promise<{ answer: Answer; ms: number }> {
    const { config } = loadConfig(
      'serve',
      [
        ...LOOPBACK_SERVE_FLAGS,
        '--insecure-registry',
        hosts.registry.host,
        '--resolve-timeout',
        `${RESOLVE_TIMEOUT_MS}ms`,
        '--log-level',
        'trace',
      ],
      {},
    );
    const keyring = new MatchingKeyring(
      [hosts.registry.host, hosts.other.host, hosts.closed].map((key) => ({
        key,
        credential: { username: user, password, source: 'secret default/faults' },
      })),
    );
    const tls = fixedTls();
    service = await startService(config, {
      ...testLogging('trace', (line) => logLines.push(line)),
      credentials: new StaticCredentialProvider(keyring),
      namespaces: everyNamespace,
      ownNamespace: undefined,
      tls,
      registryCaCertificates: [],
    });
    client = new HttpsTestClient(`https://127.0.0.1:${service.webhookPort}`, tls.current.caPem!);
    const started = performance.now();
    const { status, body } = await client.post('/mutate', podReview('fault', [image]));
    const ms = performance.now() - started;
    expect(status).toBe(200);
    return { answer: body as Answer, ms };
  }

  it.each(CASES.map((testCase) => [testCase.name, testCase] as const))(
    'answers in time, never with a wrong digest, when the registry %s',
    async (_name, testCase) => {
      hosts.registry.setFault(testCase.fault(hosts));
      const image = `${testCase.registryOf?.(hosts) ?? hosts.registry.host}/app:v1`;

      const { answer, ms } = await admit(image);

      expect(ms).toBeLessThan(testCase.withinMs ?? RESOLVE_TIMEOUT_MS + 1000);
      expect(answer.response.allowed).toBe(true);
      if (testCase.expected === 'pinned') {
        expect(answer.response.warnings).toBeUndefined();
        const operations = JSON.parse(
          Buffer.from(answer.response.patch ?? '', 'base64').toString('utf8'),
        ) as Operation[];
        const pod = podReview('fault', [image]).request.object;
        const pinned = applyPatch(pod, operations).newDocument;
        expect(imagesOf(pinned).c0).toBe(`${image}@${manifest.digest}`);
      } else {
        expect(answer.response.patch).toBeUndefined();
        const warning = answer.response.warnings?.[0] ?? '';
        expect(warning.startsWith(`image "${image}" not pinned: `)).toBe(true);
        expect(warning.slice(`image "${image}" not pinned: `.length)).toMatch(testCase.expected);
      }
      const log = logLines.join('');
      for (const secret of [password, basic, TOKEN]) expect(log).not.toContain(secret);
    },
  );

  it('logs each registry request and cache decision at debug, and the pinned digest, without the credential', async () => {
    hosts.registry.setFault(firstThen({ status: 503 }));

    await admit(`${hosts.registry.host}/app:v1`);

    const records = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = records.filter((record) => record.msg === 'registry request');
    expect(requests.map(({ method, status, attempt }) => ({ method, status, attempt }))).toEqual([
      { method: 'HEAD', status: 503, attempt: 1 },
      { method: 'HEAD', status: 200, attempt: 2 },
    ]);
    expect(requests[0]).toMatchObject({
      level: 'debug',
      registry: hosts.registry.host,
      repository: 'app',
      ms: expect.any(Number) as unknown,
    });
    expect(records).toContainEqual(
      expect.objectContaining({
        msg: 'digest cache',
        image: `${hosts.registry.host}/app:v1`,
        result: 'miss',
        credentialed: true,
      }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({
        msg: 'admission',
        pins: [{ image: `${hosts.registry.host}/app:v1`, digest: manifest.digest }],
      }),
    );
    const log = logLines.join('');
    for (const secret of [password, basic, user]) expect(log).not.toContain(secret);
  });
});
