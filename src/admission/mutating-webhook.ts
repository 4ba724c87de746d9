/**
 * The one boundary between a request body and an AdmissionReview answer: validate, mutate, log a
 * line, count it. A body that is not a v1 AdmissionReview gets 400 with the problem; anything that
 * goes wrong after that still answers the review's uid under the failure policy.
 */
import type { Logger } from 'pino';
import { andThen, type Awaitable } from '../lib/awaitable.js';
import { requestLogLine } from './request-log-fields.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { mutate, type MutateDependencies, type MutationResult } from './mutate.js';
import { parseAdmissionReview, type AdmissionRequest } from './review.js';
import type { AdmissionObservation } from '../observability/metrics.js';
import type { AdmissionAnswer, AdmissionCaller, AdmissionHandler } from '../http/apps.js';

export interface AdmissionRecorder {
  admission(observation: AdmissionObservation): void;
}

export interface AdmissionReviewHandlerOptions {
  readonly mutation: MutateDependencies;
  readonly logger: Logger;
  readonly recorder?: AdmissionRecorder;
  /** Its monotonic time measures each admission; the system's by default. */
  readonly clock?: Clock;
}

export class AdmissionReviewHandler implements AdmissionHandler {
  readonly #mutation: MutateDependencies;
  readonly #logger: Logger;
  readonly #recorder: AdmissionRecorder | undefined;
  readonly #now: () => number;

  constructor(options: AdmissionReviewHandlerOptions) {
    this.#mutation = options.mutation;
    this.#logger = options.logger;
    this.#recorder = options.recorder;
    const clock = options.clock ?? systemClock;
    this.#now = () => clock.monotonic();
  }

  /** At once for a warm admission (every digest in memory); a promise when one had to wait. */
  handle(body: unknown, caller?: AdmissionCaller): Awaitable<AdmissionAnswer> {
    const started = this.#now();
    const parsed = parseAdmissionReview(body);
    if (!parsed.ok) {
      this.#logger.warn({ problem: parsed.problem }, 'rejected a malformed AdmissionReview');
      return { status: 400, body: { error: parsed.problem } };
    }
    const { request } = parsed.review;
    // mutate answers every failure of its own under the failure policy; it does not reject.
    const signal = caller === undefined ? undefined : (): AbortSignal => caller.signal;
    return andThen(mutate(parsed.review, this.#mutation, { signal }), (result) => {
      this.#record(request, result, (this.#now() - started) / 1000);
      return { status: 200, body: result.response };
    });
  }

  #record(request: AdmissionRequest, result: MutationResult, seconds: number): void {
    this.#recorder?.admission({
      kind: request.kind.kind,
      operation: request.operation,
      outcome: result.outcome,
      dryRun: request.dryRun,
      seconds,
      pinned: result.pinned,
      unpinnedLabels:
        result.unpinned.length === 0 ? NO_LABELS : result.unpinned.map((image) => image.label),
    });
    const { pins, unpinned } = result;
    const line = requestLogLine(request, {
      dryRun: request.dryRun || undefined,
      outcome: result.outcome,
      skipLabel: result.skipLabel,
      pinned: result.pinned,
      pins: pins === undefined || pins.length === 0 ? undefined : listed(pins),
      unpinned: unpinned.length > 0 ? listed(unpinned) : undefined,
      unpinnedCount: unpinned.length > LOG_LIST_MAX ? unpinned.length : undefined,
      durationMs: Math.round(seconds * 1000 * 100) / 100,
    });
    if (result.outcome === 'error' || result.outcome === 'denied') {
      this.#logger.warn(line, 'admission');
    } else {
      this.#logger.info(line, 'admission');
    }
  }
}

const NO_LABELS: readonly string[] = [];

/** Entries of a list a log line names one by one; an object may have thousands of images. */
const LOG_LIST_MAX = 100;

function listed<T>(entries: readonly T[]): readonly T[] {
  return entries.length > LOG_LIST_MAX ? entries.slice(0, LOG_LIST_MAX) : entries;
}
