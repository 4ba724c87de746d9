/**
 * The Secret self-managed TLS lives in, shared by every replica: type kubernetes.io/tls (so that
 * tools recognise it) with `tls.crt` and `tls.key` to serve, `ca.crt` for the caBundle, and
 * `ca.key` so that any replica can renew from the same CA. Read, created and replaced through the
 * API server's optimistic concurrency: "it exists already" and "it changed since you read it"
 * are answers here, not errors. Errors name the Secret and the API's status, never its contents.
 */
import { V1ObjectMeta, V1Secret, type CoreV1Api } from '@kubernetes/client-node';
import { KubernetesApiError } from '../errors.js';
import { callKubeApi, ignoreKubeApiCalls, type KubeApiObserver } from '../kube/api-calls.js';
import type { CertificateSet, StoredCertificates } from './certificate-set.js';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

const TlsSecretKeys = {
  servingCert: 'tls.crt',
  servingKey: 'tls.key',
  trustedCas: 'ca.crt',
  authorityKey: 'ca.key',
} as const;

/** The three calls this module makes; CoreV1Api has them. */
export type TlsSecretApi = Pick<
  CoreV1Api,
  'readNamespacedSecret' | 'createNamespacedSecret' | 'replaceNamespacedSecret'
>;

export interface TlsSecretStoreOptions {
  readonly api: TlsSecretApi;
  readonly namespace: string;
  readonly name: string;
  readonly observer?: KubeApiObserver;
}

/** The Secret as read: its certificates, and the object a replacement must start from. */
export interface StoredTlsSecret {
  readonly certificates: StoredCertificates;
  readonly object: V1Secret;
}

const NOT_FOUND = 404;
const CONFLICT = 409;
const LABELS = {
  'app.kubernetes.io/name': 'digest-pinner',
  'app.kubernetes.io/managed-by': 'digest-pinner',
} as const;

export class TlsSecretStore {
  readonly #api: TlsSecretApi;
  readonly #namespace: string;
  readonly #name: string;
  readonly #observer: KubeApiObserver;

  constructor(options: TlsSecretStoreOptions) {
    this.#api = options.api;
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.#observer = options.observer ?? ignoreKubeApiCalls;
  }

  /** `Secret NAMESPACE/NAME`, for messages. */
  get description(): string {
    return `Secret ${this.#namespace}/${this.#name}`;
  }

  /** The Secret, or `undefined` when there is none. */
  async read(): Promise<StoredTlsSecret | undefined> {
    const object = await this.#call('read', NOT_FOUND, () =>
      this.#api.readNamespacedSecret({ namespace: this.#namespace, name: this.#name }),
    );
    return object === undefined ? undefined : stored(object);
  }

  /** Creates the Secret; `exists` when another replica created it first. */
  async create(set: CertificateSet): Promise<StoredTlsSecret | 'exists'> {
    const body = Object.assign(new V1Secret(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: Object.assign(new V1ObjectMeta(), {
        name: this.#name,
        namespace: this.#namespace,
        labels: { ...LABELS },
      }),
      type: TLS_SECRET_TYPE,
      data: secretData(set),
    });
    const object = await this.#call('create', CONFLICT, () =>
      this.#api.createNamespacedSecret({ namespace: this.#namespace, body }),
    );
    return object === undefined ? 'exists' : stored(object);
  }

  /**
   * Replaces the certificates of the Secret as it was read, at the resourceVersion it was read
   * at; `conflict` when it changed since. Its type (immutable), labels, annotations and other
   * keys are kept.
   */
  async replace(
    previous: StoredTlsSecret,
    set: CertificateSet,
  ): Promise<StoredTlsSecret | 'conflict'> {
    const body = Object.assign(new V1Secret(), previous.object, {
      data: { ...previous.object.data, ...secretData(set) },
    });
    const object = await this.#call('replace', CONFLICT, () =>
      this.#api.replaceNamespacedSecret({ namespace: this.#namespace, name: this.#name, body }),
    );
    return object === undefined ? 'conflict' : stored(object);
  }

  /** The call's answer, or `undefined` for the one status that is an answer (`expected`). */
  async #call(
    what: string,
    expected: number,
    call: () => Promise<V1Secret>,
  ): Promise<V1Secret | undefined> {
    const observed = {
      observer: this.#observer,
      resource: 'secrets' as const,
      what: `${what} ${this.description}`,
      successStatus: what === 'create' ? 201 : 200,
    };
    try {
      return await callKubeApi(observed, call);
    } catch (error: unknown) {
      if (error instanceof KubernetesApiError && error.status === expected) return undefined;
      throw error;
    }
  }
}

function secretData(set: CertificateSet): Record<string, string> {
  return {
    [TlsSecretKeys.servingCert]: base64(set.serving.certPem),
    [TlsSecretKeys.servingKey]: base64(set.serving.keyPem),
    [TlsSecretKeys.trustedCas]: base64(set.trustedCaPem),
    [TlsSecretKeys.authorityKey]: base64(set.authority.keyPem),
  };
}

function stored(object: V1Secret): StoredTlsSecret {
  const text = (key: string): string | undefined => {
    const value = object.data?.[key];
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
  };
  return {
    object,
    certificates: {
      servingCertPem: text(TlsSecretKeys.servingCert),
      servingKeyPem: text(TlsSecretKeys.servingKey),
      trustedCaPem: text(TlsSecretKeys.trustedCas),
      authorityKeyPem: text(TlsSecretKeys.authorityKey),
    },
  };
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
