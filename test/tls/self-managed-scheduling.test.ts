/**
 * The scheduler of self-managed TLS alone, with a reconciler that answers from a script: when a
 * pass runs, what is served from its outcome, what is reported. tls-reconciler.ts's passes
 * against the API are tested in self-managed.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import type { CertificateSet } from '../../src/tls/certificate-set.js';
import {
  nextCheckDelayMs,
  SelfManagedTls,
  type LastPass,
  type SelfManagedTlsTiming,
} from '../../src/tls/self-managed.js';
import type { TlsMaterial } from '../../src/tls/tls-source.js';
import { eventually } from '../support/eventually.js';
import type { CaBundleState, Reconciler } from '../../src/tls/tls-reconciler.js';

const TIMING: SelfManagedTlsTiming = {
  checkIntervalMs: 1000,
  retryIntervalMs: 100,
  bootstrapTimeoutMs: 2000,
  bootstrapBackoffMs: 5,
};

function certificateSet(name: string): CertificateSet {
  return {
    authority: { certPem: `${name} CA`, keyPem: `${name} CA key` },
    trustedCaPem: `${name} CA bundle`,
    serving: { certPem: `${name} cert`, keyPem: `${name} key` },
  };
}

type Step<T> = T | Error;

/** Answers each pass with the next scripted step; the last step repeats. */
class ScriptedReconciler implements Reconciler {
  readonly description = 'Secret ns/tls';
  readonly caBundleDescription: string | undefined = 'MutatingWebhookConfiguration hook';
  readonly servedCas: (string | undefined)[] = [];
  readonly #certificates: Step<CertificateSet>[];
  readonly #caBundles: Step<CaBundleState>[];

  constructor(certificates: Step<CertificateSet>[], caBundles: Step<CaBundleState>[] = []) {
    this.#certificates = certificates;
    this.#caBundles = caBundles.length === 0 ? ['unchanged'] : caBundles;
  }

  certificates(servedCaPem: string | undefined): Promise<CertificateSet> {
    this.servedCas.push(servedCaPem);
    return answer(this.#certificates);
  }

  caBundle(): Promise<CaBundleState> {
    return answer(this.#caBundles);
  }
}

function answer<T>(steps: Step<T>[]): Promise<T> {
  const step = steps.length > 1 ? steps.shift()! : steps[0]!;
  return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
}

const silent = { info: () => undefined, warn: () => undefined };

function start(reconciler: Reconciler, signal?: AbortSignal): Promise<SelfManagedTls> {
  return SelfManagedTls.start(reconciler, { logger: silent, timing: TIMING, signal });
}

function watched(tls: SelfManagedTls): { changes: TlsMaterial[]; errors: unknown[] } {
  const seen = { changes: [] as TlsMaterial[], errors: [] as unknown[] };
  tls.onChange((material) => seen.changes.push(material));
  tls.onError((error) => seen.errors.push(error));
  return seen;
}

describe('self-managed scheduling', () => {
  it.each<[string, LastPass, number]>([
    ['all is well', { secret: 'ok', caBundle: 'unchanged' }, 1000],
    ['the caBundle was just patched', { secret: 'ok', caBundle: 'patched' }, 1000],
    ['no caBundle is managed', { secret: 'ok', caBundle: 'unmanaged' }, 1000],
    ['the Secret could not be read or written', { secret: 'failed', caBundle: 'unchanged' }, 100],
    ['the caBundle could not be set', { secret: 'ok', caBundle: 'failed' }, 100],
    ['the webhook configuration does not exist yet', { secret: 'ok', caBundle: 'missing' }, 100],
  ])('checks again after the base interval, jittered by 10 %%, when %s', (_case, last, base) => {
    expect(nextCheckDelayMs(last, TIMING, () => 0.5)).toBe(base);
    expect(nextCheckDelayMs(last, TIMING, () => 0)).toBe(Math.round(base * 0.9));
    expect(nextCheckDelayMs(last, TIMING, () => 0.999_999)).toBe(Math.round(base * 1.1));
  });

  it('serves the first set the reconciler produces after retrying its failures', async () => {
    const reconciler = new ScriptedReconciler([
      new Error('HTTP 503'),
      new Error('HTTP 503'),
      certificateSet('first'),
    ]);

    const tls = await start(reconciler);

    expect(tls.current).toEqual({
      certPem: 'first cert',
      keyPem: 'first key',
      caPem: 'first CA bundle',
    });
    expect(reconciler.servedCas).toEqual([undefined, undefined, undefined]);
  });

  it('fails the bootstrap naming the Secret and the last failure once its time is up', async () => {
    const reconciler = new ScriptedReconciler([new Error('HTTP 403 Forbidden')]);

    const starting = SelfManagedTls.start(reconciler, {
      logger: silent,
      timing: { ...TIMING, bootstrapTimeoutMs: 50 },
    });

    await expect(starting).rejects.toMatchObject({
      code: 'TLS_BOOTSTRAP_FAILED',
      message: expect.stringMatching(/Secret ns\/tls after .* s: HTTP 403 Forbidden$/) as unknown,
    });
  });

  it('starts even when the caBundle cannot be set, and checks again after the retry interval', async () => {
    const reconciler = new ScriptedReconciler(
      [certificateSet('first')],
      [new Error('patch refused'), 'patched'],
    );

    const tls = await start(reconciler);
    const seen = watched(tls);
    tls.watch();
    await eventually(() => reconciler.servedCas.length === 2, 'a check', 500);
    tls.close();

    expect(tls.current.certPem).toBe('first cert');
    expect(seen).toEqual({ changes: [], errors: [] });
  });

  it('checks after the check interval when all is well, and no more once closed', async () => {
    const reconciler = new ScriptedReconciler([certificateSet('first')]);
    const tls = await SelfManagedTls.start(reconciler, {
      logger: silent,
      timing: { ...TIMING, checkIntervalMs: 300, retryIntervalMs: 10 },
    });

    tls.watch();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const early = reconciler.servedCas.length;
    await eventually(() => reconciler.servedCas.length === 2, 'a check', 1000);
    tls.close();
    await new Promise((resolve) => setTimeout(resolve, 400));

    expect(early).toBe(1);
    expect(reconciler.servedCas).toHaveLength(2);
  });

  it('tells the change listeners once when a check brings a new set, passing the served CAs', async () => {
    const reconciler = new ScriptedReconciler([certificateSet('first'), certificateSet('second')]);
    const tls = await start(reconciler);
    const seen = watched(tls);

    await tls.check();
    await tls.check();

    expect(seen.changes.map(({ certPem }) => certPem)).toEqual(['second cert']);
    expect(reconciler.servedCas).toEqual([undefined, 'first CA bundle', 'second CA bundle']);
  });

  it('keeps serving and reports when a check cannot reach the Secret', async () => {
    const failure = new Error('HTTP 503');
    const tls = await start(new ScriptedReconciler([certificateSet('first'), failure]));
    const seen = watched(tls);

    await tls.check();

    expect(tls.current.certPem).toBe('first cert');
    expect(seen).toEqual({ changes: [], errors: [failure] });
  });

  it('serves the new set and reports when only the caBundle fails', async () => {
    const failure = new Error('patch refused');
    const reconciler = new ScriptedReconciler(
      [certificateSet('first'), certificateSet('second')],
      ['unchanged', failure],
    );
    const tls = await start(reconciler);
    const seen = watched(tls);

    await tls.check();

    expect(tls.current.certPem).toBe('second cert');
    expect(seen.changes.map(({ certPem }) => certPem)).toEqual(['second cert']);
    expect(seen.errors).toEqual([failure]);
  });

  it('runs one pass for checks asked for while one is in flight', async () => {
    const reconciler = new ScriptedReconciler([certificateSet('first')]);
    const tls = await start(reconciler);

    await Promise.all([tls.check(), tls.check(), tls.check()]);

    expect(reconciler.servedCas).toHaveLength(2);
  });
});
