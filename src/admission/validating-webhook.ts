/**
 * The boundary of POST /validate: validate the body as an AdmissionReview (400 with the problem
 * when it is not one), check its images (admission/enforce.ts), log a line, count the decision.
 * Anything that goes wrong after parsing is still answered, as the mode answers a violation.
 */
import type { Logger } from 'pino';
import {
  enforce,
  enforcementErrorResult,
  type EnforceDependencies,
  type EnforcementResult,
} from './enforce.js';
import { requestLogLine } from './request-log-fields.js';
import { parseAdmissionReview, type AdmissionRequest } from './review.js';
import type { EnforcementObservation } from '../observability/metrics.js';
import type { AdmissionAnswer, AdmissionHandler } from '../http/apps.js';

export interface EnforcementRecorder {
  enforcement(observation: EnforcementObservation): void;
}

export interface EnforcementHandlerOptions {
  readonly enforcement: EnforceDependencies;
  readonly logger: Logger;
  readonly recorder?: EnforcementRecorder;
}

export class EnforcementHandler implements AdmissionHandler {
  readonly #enforcement: EnforceDependencies;
  readonly #logger: Logger;
  readonly #recorder: EnforcementRecorder | undefined;

  constructor(options: EnforcementHandlerOptions) {
    this.#enforcement = options.enforcement;
    this.#logger = options.logger;
    this.#recorder = options.recorder;
  }

  handle(body: unknown): AdmissionAnswer {
    const parsed = parseAdmissionReview(body);
    if (!parsed.ok) {
      this.#logger.warn({ problem: parsed.problem }, 'rejected a malformed AdmissionReview');
      return { status: 400, body: { error: parsed.problem } };
    }
    const { request } = parsed.review;
    let result: EnforcementResult;
    try {
      result = enforce(parsed.review, this.#enforcement);
    } catch (error: unknown) {
      result = enforcementErrorResult(request.uid, this.#enforcement.policy.mode, error);
      this.#logger.error({ err: error, uid: request.uid }, 'enforcement failed');
    }
    this.#record(request, result);
    return { status: 200, body: result.response };
  }

  #record(request: AdmissionRequest, result: EnforcementResult): void {
    this.#recorder?.enforcement({
      kind: request.kind.kind,
      operation: request.operation,
      decision: result.decision,
      violationLabels: result.violations.map((violation) => violation.label),
    });
    const line = requestLogLine(request, {
      decision: result.decision,
      skipLabel: result.skipLabel,
      violations: result.violations.length > 0 ? result.violations : undefined,
    });
    if (result.decision === 'allowed' || result.decision === 'skipped') {
      this.#logger.info(line, 'enforcement');
    } else {
      this.#logger.warn(line, 'enforcement');
    }
  }
}
