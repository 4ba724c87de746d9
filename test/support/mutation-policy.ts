import type { MutationPolicy } from '../../src/admission/mutate.js';

/** The policy `serve` runs with by default, for tests that call mutate or its handler directly. */
export const DEFAULT_TEST_POLICY: MutationPolicy = {
  failurePolicy: 'ignore',
  updatePolicy: 'sticky',
  podsOnly: false,
  dropTag: false,
  ownNamespace: 'digest-pinner',
  resolveTimeoutMs: 2000,
  skipImages: [],
};
