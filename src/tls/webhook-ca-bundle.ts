/**
 * The caBundle of every webhook in one Mutating- or ValidatingWebhookConfiguration, kept equal to the CA bundle
 * the serving certificate chains to. Read first and patched only when it differs, so that a
 * steady state costs one GET. The patch is a JSON patch: the RBAC `patch` verb allows it, and
 * unlike a merge patch it can set one field of one list entry; each entry is guarded by a `test`
 * of its name, so that a list reordered since the read fails the patch instead of writing the
 * wrong webhook.
 */
import {
  PatchStrategy,
  setHeaderOptions,
  type AdmissionregistrationV1Api,
} from '@kubernetes/client-node';
import { KubernetesApiError } from '../errors.js';
import {
  callKubeApi,
  ignoreKubeApiCalls,
  type KubeApiObserver,
  type KubeApiResource,
} from '../kube/api-calls.js';

/** The calls this module makes; AdmissionregistrationV1Api has them. */
export type WebhookConfigurationApi = Pick<
  AdmissionregistrationV1Api,
  | 'readMutatingWebhookConfiguration'
  | 'patchMutatingWebhookConfiguration'
  | 'readValidatingWebhookConfiguration'
  | 'patchValidatingWebhookConfiguration'
>;

export const WebhookConfigurationKinds = [
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
] as const;
export type WebhookConfigurationKind = (typeof WebhookConfigurationKinds)[number];

export interface WebhookCaBundleOptions {
  readonly api: WebhookConfigurationApi;
  /** MutatingWebhookConfiguration (pinning) unless told. */
  readonly kind?: WebhookConfigurationKind;
  /** The configuration's name. */
  readonly name: string;
  readonly observer?: KubeApiObserver;
}

/** `missing`: the configuration does not exist (yet: it may be installed after the server). */
export type CaBundleSync = 'patched' | 'unchanged' | 'missing';

/** What the patch is computed from: the webhooks of a configuration, in order. */
export interface WebhookList {
  readonly webhooks?: readonly {
    readonly name: string;
    readonly clientConfig: { readonly caBundle?: string };
  }[];
}

export interface JsonPatchOperation {
  readonly op: 'test' | 'add';
  readonly path: string;
  readonly value: string;
}

const NOT_FOUND = 404;
/** A failed `test` operation: the webhooks changed between the read and the patch. */
const UNPROCESSABLE = 422;
const MAX_ATTEMPTS = 3;

export class WebhookCaBundle {
  readonly #api: WebhookConfigurationApi;
  readonly #kind: WebhookConfigurationKind;
  readonly #name: string;
  readonly #observer: KubeApiObserver;

  constructor(options: WebhookCaBundleOptions) {
    this.#api = options.api;
    this.#kind = options.kind ?? 'MutatingWebhookConfiguration';
    this.#name = options.name;
    this.#observer = options.observer ?? ignoreKubeApiCalls;
  }

  /** `MutatingWebhookConfiguration NAME`, for messages. */
  get description(): string {
    return `${this.#kind} ${this.#name}`;
  }

  /**
   * The CAs the API server trusts now: every webhook's caBundle, as one PEM bundle. Best effort:
   * `undefined` when the configuration is missing or cannot be read.
   */
  async trustedBundle(): Promise<string | undefined> {
    try {
      const configuration = await this.#call('read', [NOT_FOUND], () => this.#read());
      if (typeof configuration === 'number') return undefined;
      const bundles = new Set(
        (configuration.webhooks ?? [])
          .map((webhook) => webhook.clientConfig.caBundle)
          .filter((caBundle): caBundle is string => caBundle !== undefined && caBundle !== '')
          .map((caBundle) => Buffer.from(caBundle, 'base64').toString('utf8')),
      );
      return bundles.size === 0 ? undefined : [...bundles].join('\n');
    } catch {
      return undefined;
    }
  }

  /** Makes every webhook's caBundle `caBundlePem`. */
  async sync(caBundlePem: string): Promise<CaBundleSync> {
    for (let attempt = 1; ; attempt += 1) {
      const configuration = await this.#call('read', [NOT_FOUND], () => this.#read());
      if (typeof configuration === 'number') return 'missing';
      const patch = caBundlePatch(configuration, caBundlePem);
      if (patch.length === 0) return 'unchanged';
      const answers = attempt < MAX_ATTEMPTS ? [NOT_FOUND, UNPROCESSABLE] : [NOT_FOUND];
      const patched = await this.#call('patch', answers, () => this.#patch(patch));
      if (patched === NOT_FOUND) return 'missing';
      if (patched !== UNPROCESSABLE) return 'patched';
    }
  }

  get #resource(): KubeApiResource {
    return this.#kind === 'MutatingWebhookConfiguration'
      ? 'mutatingwebhookconfigurations'
      : 'validatingwebhookconfigurations';
  }

  #read(): Promise<WebhookList> {
    const request = { name: this.#name };
    return this.#kind === 'MutatingWebhookConfiguration'
      ? this.#api.readMutatingWebhookConfiguration(request)
      : this.#api.readValidatingWebhookConfiguration(request);
  }

  #patch(body: readonly JsonPatchOperation[]): Promise<WebhookList> {
    const request = { name: this.#name, body };
    const options = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
    return this.#kind === 'MutatingWebhookConfiguration'
      ? this.#api.patchMutatingWebhookConfiguration(request, options)
      : this.#api.patchValidatingWebhookConfiguration(request, options);
  }

  /**
   * The answer, or its status when that is one of `answers`; any other failure rejects, naming
   * the configuration.
   */
  async #call<T extends object>(
    what: string,
    answers: readonly number[],
    call: () => Promise<T>,
  ): Promise<T | number> {
    const observed = {
      observer: this.#observer,
      resource: this.#resource,
      what: `${what} ${this.description}`,
    };
    try {
      return await callKubeApi(observed, call);
    } catch (error: unknown) {
      const status = error instanceof KubernetesApiError ? error.status : undefined;
      if (status !== undefined && answers.includes(status)) return status;
      throw error;
    }
  }
}

/** The operations that set every webhook's caBundle to `caBundlePem`; none when all are equal. */
export function caBundlePatch(
  configuration: WebhookList,
  caBundlePem: string,
): JsonPatchOperation[] {
  const caBundle = Buffer.from(caBundlePem, 'utf8').toString('base64');
  return (configuration.webhooks ?? []).flatMap((webhook, index) =>
    webhook.clientConfig.caBundle === caBundle
      ? []
      : [
          { op: 'test' as const, path: `/webhooks/${index}/name`, value: webhook.name },
          // `add` sets a member whether or not it is there already (RFC 6902, 4.1).
          { op: 'add' as const, path: `/webhooks/${index}/clientConfig/caBundle`, value: caBundle },
        ],
  );
}
