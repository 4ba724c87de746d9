import { AdmissionReviewHandler } from '../../src/admission/mutating-webhook.js';
import type { MutateDependencies, MutationResult } from '../../src/admission/mutate.js';
import { mutate } from '../../src/admission/mutate.js';
import { requestLogLine } from '../../src/admission/request-log-fields.js';
import { emptyKeyring } from '../../src/credentials/credential.js';
import { StaticCredentialProvider } from '../../src/credentials/provider.js';
import { ManifestUnknownError } from '../../src/registry/errors.js';
import type { ImageReference } from '../../src/image/reference.js';
import { loadReview, toReview } from '../support/fixtures.js';
import { testLogging } from '../support/logging.js';
import { DEFAULT_TEST_POLICY } from '../support/mutation-policy.js';

const POLICY = DEFAULT_TEST_POLICY;

/** Digests for every image but the statsd exporter, which the registry does not have. */
const deps: MutateDependencies = {
  resolver: {
    resolve: (reference: ImageReference) =>
      reference.name.endsWith('statsd-exporter')
        ? Promise.reject(
            new ManifestUnknownError('no such tag', {
              registry: reference.registry,
              repository: reference.repository,
              detail: 'HTTP 404',
            }),
          )
        : Promise.resolve({ digest: `sha256:${'e'.repeat(64)}`, result: 'miss' as const }),
  },
  credentials: new StaticCredentialProvider(emptyKeyring),
  namespaces: { isOptedIn: () => true },
  policy: POLICY,
};

/** The fields of the admission line as the handler gave them to pino before it wrote it itself. */
function linePinoWrote(document: unknown, result: MutationResult): string {
  const lines: string[] = [];
  const { logger } = testLogging('info', (line) => lines.push(line));
  const { request } = toReview(document as ReturnType<typeof loadReview>);
  const line = requestLogLine(request, {
    dryRun: request.dryRun || undefined,
    outcome: result.outcome,
    skipLabel: result.skipLabel,
    pinned: result.pinned,
    pins: result.pins === undefined || result.pins.length === 0 ? undefined : result.pins,
    unpinned: result.unpinned.length > 0 ? result.unpinned : undefined,
    unpinnedCount: undefined,
    durationMs: 0,
  });
  const failed = result.outcome === 'error' || result.outcome === 'denied';
  logger[failed ? 'warn' : 'info'](line, 'admission');
  return lines[0] ?? '';
}

describe('admission handler', () => {
  it.each([
    [
      'some pinned, one not found, a dry run',
      { dryRun: true },
      'pod-create' as const,
      ['"dryRun":true', '"pins":[{', '"unpinned":[{', '"label":"not-found"'],
    ],
    ['a skipped delete', {}, 'pod-delete' as const, ['"outcome":"skipped"', '"skipLabel":']],
  ])('logs %s in exactly the line pino wrote for it', async (_case, change, fixture, fields) => {
    const document = loadReview(fixture);
    Object.assign((document as { request: object }).request, change);
    const lines: string[] = [];
    const handler = new AdmissionReviewHandler({
      mutation: deps,
      ...testLogging('info', (line) => lines.push(line)),
      clock: { now: () => 0, monotonic: () => 0 },
    });

    await handler.handle(document);
    const expected = linePinoWrote(document, await mutate(toReview(document), deps));

    const timeless = (line: string): string => line.replace(/"time":"[^"]*"/, '"time":"T"');
    expect(lines).toHaveLength(1);
    expect(timeless(lines[0] ?? '')).toBe(timeless(expected));
    for (const field of fields) expect(lines[0]).toContain(field);
  });
});
