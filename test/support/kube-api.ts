/**
 * A loopback double of the few Kubernetes API paths digest-pinner uses, speaking the same REST
 * paths and JSON as a real API server so that tests run the real @kubernetes/client-node client:
 *
 *   GET /api/v1/namespaces                          list, with metadata.resourceVersion
 *   GET /api/v1/namespaces?watch=true&resourceVersion=N[&allowWatchBookmarks=true]
 *                                                   newline-delimited ADDED / MODIFIED / DELETED /
 *                                                   BOOKMARK / ERROR events, history replayed
 *                                                   from N, ERROR 410 Expired when N is compacted
 *   GET /api/v1/namespaces/{name}
 *   GET /api/v1/namespaces/{ns}/secrets/{name}
 *   POST /api/v1/namespaces/{ns}/secrets             201, or 409 AlreadyExists
 *   PUT /api/v1/namespaces/{ns}/secrets/{name}       200, or 409 Conflict when the body's
 *                                                   resourceVersion is not the stored one
 *   GET /api/v1/namespaces/{ns}/serviceaccounts/{name}
 *   GET /api/v1/pods, /api/v1/namespaces/{ns}/pods   lists ordered by namespace and name, with
 *                                                   `limit` and `continue` (an opaque token;
 *                                                   400 when it is not one of ours; 410 Expired
 *                                                   with a token for the rest when compacted),
 *                                                   `remainingItemCount` (not with a selector)
 *                                                   and `labelSelector` (400 when it does not
 *                                                   parse), as the real server pages and filters
 *   GET /apis/apps/v1/namespaces/{ns}/{replicasets,controllerrevisions,deployments,statefulsets,
 *       daemonsets}[/{name}]                        each object, and lists paged and filtered as
 *                                                   pods are
 *   GET /apis/batch/v1/namespaces/{ns}/jobs/{name}
 *   GET, PATCH /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{name}
 *   GET, PATCH /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/{name}
 *                                                   PATCH takes application/json-patch+json only
 *                                                   (415 otherwise); a failed `test` is a 422
 *
 * Anything missing is a 404 with a `Status` body (`reason: NotFound`), as the real server answers.
 * Writes get a new resourceVersion, as in etcd; a kubernetes.io/tls Secret needs tls.crt and
 * tls.key, and a Secret's type cannot change (422 Invalid), as the real server validates.
 * It serves plain HTTP on 127.0.0.1:0 (client-node accepts `http://` only with
 * `insecure-skip-tls-verify: true`, which the written kubeconfig sets), or HTTPS with the test
 * certificate. Watch responses flush their headers before any event: client-node's informer does
 * not finish starting until it has them.
 *
 * Usage:
 *   const api = await KubeApiDouble.start();
 *   api.addNamespace('team-a', { 'digest-pinner.io/pin': 'enabled' });
 *   api.addSecret(dockerRegistrySecret({ namespace: 'team-a', name: 'regcred', ... }));
 *   api.addServiceAccount({ namespace: 'team-a', name: 'builder', imagePullSecrets: ['regcred'] });
 *   const kubeconfig = await api.writeKubeconfig(tempDirectory);
 *   ...
 *   api.requestCount('secrets', 'get');
 *   const release = api.holdRequests('secrets', 'create'); // answered when release() is called
 *   await api.stop();
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import jsonPatch, { type Operation } from 'fast-json-patch';
import {
  dockerRegistrySecret,
  type DockerRegistrySecretSpec,
  type TestSecret,
} from './docker-secrets.js';
import { testCertificate } from './https.js';
import { parseLabelQuery } from './label-query.js';

export type KubeResource =
  | 'namespaces'
  | 'secrets'
  | 'serviceaccounts'
  | 'mutatingwebhookconfigurations'
  | 'validatingwebhookconfigurations'
  | 'pods'
  | 'replicasets'
  | 'controllerrevisions'
  | 'deployments'
  | 'statefulsets'
  | 'daemonsets'
  | 'jobs';
export type KubeVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch';

export interface KubeApiRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly resource: KubeResource | undefined;
  readonly verb: KubeVerb | undefined;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
}

/** A failure to inject: the next matching requests get `response` instead of an answer. */
export interface KubeApiFault {
  readonly resource: KubeResource;
  /** Every verb when omitted. */
  readonly verb?: KubeVerb;
  /** An HTTP status answered with a `Status` body, or `hang` to never answer. */
  readonly response: number | 'hang';
  /** How many requests it applies to; all of them when omitted. */
  readonly times?: number;
}

export interface KubeApiDoubleOptions {
  /** Serve HTTPS with the test certificate instead of HTTP. */
  readonly tls?: boolean;
  /** Require `Authorization: Bearer <token>`; anything else gets 401. */
  readonly token?: string;
  /** Delay before answering each get and list (not watches). */
  readonly latencyMs?: number;
}

export interface ServiceAccountSpec {
  readonly namespace: string;
  readonly name: string;
  readonly imagePullSecrets?: readonly string[];
}

/** A webhook configuration as in a manifest: the double adds the metadata it owns. */
export interface WebhookConfigurationSpec {
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly webhooks: readonly {
    readonly name: string;
    readonly clientConfig: { readonly caBundle?: string; readonly [field: string]: unknown };
    readonly [field: string]: unknown;
  }[];
}

/** What the double stores, as JSON. */
export interface StoredObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly resourceVersion: string };
  readonly [field: string]: unknown;
}

type Annotations = Readonly<Record<string, string>>;

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  [field: string]: unknown;
}

type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface HistoryEvent {
  readonly type: WatchEventType;
  readonly revision: number;
  /** Serialized when it happened: later changes must not rewrite history. */
  readonly object: string;
}

interface OpenWatch {
  readonly response: ServerResponse;
  readonly bookmarks: boolean;
}

const PATH_PATTERN =
  /^\/api\/v1\/namespaces(?:\/([^/]+)(?:\/(secrets|serviceaccounts)(?:\/([^/]+))?)?)?$/;
const WEBHOOK_CONFIGURATION_PATTERN =
  /^\/apis\/admissionregistration\.k8s\.io\/v1\/(mutating|validating)webhookconfigurations(?:\/([^/]+))?$/;
const POD_LIST_PATTERN = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods$/;
const APPS_PATTERN =
  /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(replicasets|controllerrevisions|deployments|statefulsets|daemonsets)(?:\/([^/]+))?$/;
const JOB_PATTERN = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)$/;
/** The API server's message for a continue token older than the compacted revision. */
const CONTINUE_EXPIRED_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';
const ADMISSION_API_VERSION = 'admissionregistration.k8s.io/v1';
const JSON_PATCH = 'application/json-patch+json';
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TLS_SECRET_TYPE = 'kubernetes.io/tls';

const STATUS_REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export class KubeApiDouble {
  readonly #server: Server;
  readonly #options: KubeApiDoubleOptions;
  readonly #namespaces = new Map<string, KubeObject>();
  readonly #secrets = new Map<string, KubeObject>();
  readonly #serviceAccounts = new Map<string, KubeObject>();
  readonly #webhookConfigurations = new Map<string, KubeObject>();
  readonly #validatingWebhookConfigurations = new Map<string, KubeObject>();
  readonly #pods = new Map<string, KubeObject>();
  readonly #replicaSets = new Map<string, KubeObject>();
  readonly #controllerRevisions = new Map<string, KubeObject>();
  readonly #deployments = new Map<string, KubeObject>();
  readonly #statefulSets = new Map<string, KubeObject>();
  readonly #daemonSets = new Map<string, KubeObject>();
  readonly #jobs = new Map<string, KubeObject>();
  readonly #holds: Hold[] = [];
  readonly #history: HistoryEvent[] = [];
  readonly #watches = new Set<OpenWatch>();
  readonly #requests: KubeApiRequest[] = [];
  readonly #faults: { fault: KubeApiFault; remaining: number }[] = [];
  #revision = 1;
  #compactedRevision = 0;
  #url = '';

  private constructor(server: Server, options: KubeApiDoubleOptions) {
    this.#server = server;
    this.#options = options;
  }

  static async start(options: KubeApiDoubleOptions = {}): Promise<KubeApiDouble> {
    const server =
      options.tls === true
        ? createHttpsServer({ cert: testCertificate().certPem, key: testCertificate().keyPem })
        : createHttpServer();
    const api = new KubeApiDouble(server, options);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      api.#handle(request, response);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    api.#url = `${options.tls === true ? 'https' : 'http'}://127.0.0.1:${port}`;
    return api;
  }

  /** `http://127.0.0.1:PORT` (or `https://`). */
  get url(): string {
    return this.#url;
  }

  get port(): number {
    return Number(new URL(this.#url).port);
  }

  /** The CA to trust when serving HTTPS. */
  get caPem(): string {
    return testCertificate().caPem;
  }

  /** Every request received, in order. */
  get requests(): readonly KubeApiRequest[] {
    return this.#requests;
  }

  /** Watch streams open right now. */
  get openWatches(): number {
    return this.#watches.size;
  }

  /** Requests received for `resource` (and `verb`, when given), failed ones included. */
  requestCount(resource: KubeResource, verb?: KubeVerb): number {
    return this.#requests.filter(
      (request) => request.resource === resource && (verb === undefined || request.verb === verb),
    ).length;
  }

  /** Creates a namespace (and its `default` service account), emitting ADDED. */
  addNamespace(name: string, annotations: Annotations = {}): void {
    const namespace = this.#stamp({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: this.#metadata(name, undefined, annotations),
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    namespace.metadata.labels = { 'kubernetes.io/metadata.name': name };
    const type = this.#namespaces.has(name) ? 'MODIFIED' : 'ADDED';
    this.#namespaces.set(name, namespace);
    this.#record(type, namespace);
    if (!this.#serviceAccounts.has(`${name}/default`)) {
      this.addServiceAccount({ namespace: name, name: 'default' });
    }
  }

  /** Replaces a namespace's annotations, emitting MODIFIED. */
  setNamespaceAnnotations(name: string, annotations: Annotations): void {
    const namespace = this.#namespaces.get(name);
    if (namespace === undefined) throw new Error(`no namespace ${name} in the double`);
    namespace.metadata.annotations = { ...annotations };
    this.#stamp(namespace);
    this.#record('MODIFIED', namespace);
  }

  /** Replaces a namespace's labels (keeping kubernetes.io/metadata.name), emitting MODIFIED. */
  setNamespaceLabels(name: string, labels: Record<string, string>): void {
    const namespace = this.#namespaces.get(name);
    if (namespace === undefined) throw new Error(`no namespace ${name} in the double`);
    namespace.metadata.labels = { ...labels, 'kubernetes.io/metadata.name': name };
    this.#stamp(namespace);
    this.#record('MODIFIED', namespace);
  }

  /** Deletes a namespace, emitting DELETED. Its secrets and service accounts stay. */
  deleteNamespace(name: string): void {
    const namespace = this.#namespaces.get(name);
    if (namespace === undefined) throw new Error(`no namespace ${name} in the double`);
    this.#namespaces.delete(name);
    this.#stamp(namespace);
    this.#record('DELETED', namespace);
  }

  /** Stores a secret as given (see docker-secrets.ts for the kubectl form). */
  addSecret(secret: TestSecret): void {
    const { name, namespace } = secret.metadata;
    const stored: KubeObject = {
      ...structuredClone(secret),
      metadata: this.#metadata(name, namespace, {}),
    };
    this.#secrets.set(`${namespace}/${name}`, this.#stamp(stored));
  }

  /** `kubectl create secret docker-registry`, stored. */
  addDockerRegistrySecret(spec: DockerRegistrySecretSpec): void {
    this.addSecret(dockerRegistrySecret(spec));
  }

  deleteSecret(namespace: string, name: string): void {
    this.#secrets.delete(`${namespace}/${name}`);
  }

  addServiceAccount(spec: ServiceAccountSpec): void {
    const serviceAccount: KubeObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: this.#metadata(spec.name, spec.namespace, {}),
    };
    if (spec.imagePullSecrets !== undefined) {
      serviceAccount.imagePullSecrets = spec.imagePullSecrets.map((name) => ({ name }));
    }
    this.#serviceAccounts.set(`${spec.namespace}/${spec.name}`, this.#stamp(serviceAccount));
  }

  deleteServiceAccount(namespace: string, name: string): void {
    this.#serviceAccounts.delete(`${namespace}/${name}`);
  }

  /**
   * Stores a pod as given (a real cluster's, say: its status, owner references and all); the
   * double sets only its resourceVersion, and its uid when it has none.
   */
  addPod(pod: PodDocument): void {
    const stored = this.#stamp(namespacedObject('v1', 'Pod', pod));
    this.#pods.set(objectKey(stored), stored);
  }

  /** Stores a ReplicaSet as given, like addPod. */
  addReplicaSet(replicaSet: PodDocument): void {
    const stored = this.#stamp(namespacedObject('apps/v1', 'ReplicaSet', replicaSet));
    this.#replicaSets.set(objectKey(stored), stored);
  }

  /** Stores a ControllerRevision as given, like addPod. */
  addControllerRevision(revision: PodDocument): void {
    const stored = this.#stamp(namespacedObject('apps/v1', 'ControllerRevision', revision));
    this.#controllerRevisions.set(objectKey(stored), stored);
  }

  /** Stores a Deployment as given, like addPod. */
  addDeployment(deployment: PodDocument): void {
    const stored = this.#stamp(namespacedObject('apps/v1', 'Deployment', deployment));
    this.#deployments.set(objectKey(stored), stored);
  }

  /** Stores a StatefulSet as given, like addPod. */
  addStatefulSet(statefulSet: PodDocument): void {
    const stored = this.#stamp(namespacedObject('apps/v1', 'StatefulSet', statefulSet));
    this.#statefulSets.set(objectKey(stored), stored);
  }

  /** Stores a DaemonSet as given, like addPod. */
  addDaemonSet(daemonSet: PodDocument): void {
    const stored = this.#stamp(namespacedObject('apps/v1', 'DaemonSet', daemonSet));
    this.#daemonSets.set(objectKey(stored), stored);
  }

  /** Stores a Job as given, like addPod. */
  addJob(job: PodDocument): void {
    const stored = this.#stamp(namespacedObject('batch/v1', 'Job', job));
    this.#jobs.set(objectKey(stored), stored);
  }

  /** The stored Secret as the API would return it, or `undefined`. */
  secret(namespace: string, name: string): StoredObject | undefined {
    return copyOf(this.#secrets.get(`${namespace}/${name}`));
  }

  /** Stores a MutatingWebhookConfiguration (replacing one of the same name), e.g. a manifest's. */
  addMutatingWebhookConfiguration(spec: WebhookConfigurationSpec): void {
    const stored = this.#webhookConfiguration('MutatingWebhookConfiguration', spec);
    this.#webhookConfigurations.set(spec.metadata.name, stored);
  }

  mutatingWebhookConfiguration(name: string): StoredObject | undefined {
    return copyOf(this.#webhookConfigurations.get(name));
  }

  deleteMutatingWebhookConfiguration(name: string): void {
    this.#webhookConfigurations.delete(name);
  }

  /** Stores a ValidatingWebhookConfiguration (replacing one of the same name). */
  addValidatingWebhookConfiguration(spec: WebhookConfigurationSpec): void {
    const stored = this.#webhookConfiguration('ValidatingWebhookConfiguration', spec);
    this.#validatingWebhookConfigurations.set(spec.metadata.name, stored);
  }

  validatingWebhookConfiguration(name: string): StoredObject | undefined {
    return copyOf(this.#validatingWebhookConfigurations.get(name));
  }

  /**
   * Holds every request for `resource` with `verb` from now on, unanswered, until the returned
   * function is called; then answers them in the order they came. For races: two replicas'
   * creates, both sent before either is answered.
   */
  holdRequests(resource: KubeResource, verb: KubeVerb): () => void {
    const hold: Hold = { resource, verb, waiting: [] };
    this.#holds.push(hold);
    return () => {
      this.#holds.splice(this.#holds.indexOf(hold), 1);
      for (const answer of hold.waiting) answer();
    };
  }

  /** Injects a failure; faults are checked in the order they were added. */
  addFault(fault: KubeApiFault): void {
    this.#faults.push({ fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** Ends every open watch stream, as an API server does at its watch timeout. */
  closeWatches(): void {
    for (const watch of this.#watches) watch.response.end();
    this.#watches.clear();
  }

  /**
   * Forgets the history up to now, as etcd compaction does: a watch resumed from an older
   * resourceVersion gets an ERROR event with a 410 Expired Status, then the stream ends; a list
   * continued with an older token gets a 410 Expired Status whose `metadata.continue` continues
   * it from the current revision (an inconsistent list, as the real server offers).
   */
  compact(): void {
    this.#compactedRevision = this.#revision;
    this.#history.length = 0;
  }

  /** Sends a BOOKMARK at the current resourceVersion to the watches that asked for them. */
  bookmark(): void {
    const object = {
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(this.#revision) },
    };
    for (const watch of this.#watches) {
      if (watch.bookmarks) writeEvent(watch.response, 'BOOKMARK', JSON.stringify(object));
    }
  }

  /** A kubeconfig whose current context points at this double. */
  kubeconfig(): string {
    const tls =
      this.#options.tls === true
        ? `    certificate-authority-data: ${Buffer.from(this.caPem).toString('base64')}`
        : '    insecure-skip-tls-verify: true';
    const user = this.#options.token === undefined ? '{}' : `\n    token: ${this.#options.token}`;
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: kube-api-double',
      '  cluster:',
      `    server: ${this.#url}`,
      tls,
      'users:',
      `- name: kube-api-double`,
      `  user: ${user}`,
      'contexts:',
      '- name: kube-api-double',
      '  context:',
      '    cluster: kube-api-double',
      '    user: kube-api-double',
      '    namespace: default',
      'current-context: kube-api-double',
      '',
    ].join('\n');
  }

  /** Writes `kubeconfig()` to `directory/kubeconfig` and returns the path. */
  async writeKubeconfig(directory: string): Promise<string> {
    const path = join(directory, 'kubeconfig');
    await writeFile(path, this.kubeconfig(), { mode: 0o600 });
    return path;
  }

  async stop(): Promise<void> {
    this.closeWatches();
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  #metadata(
    name: string,
    namespace: string | undefined,
    annotations: Annotations,
  ): KubeObject['metadata'] {
    const metadata: KubeObject['metadata'] = {
      name,
      uid: randomUUID(),
      resourceVersion: '',
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    if (namespace !== undefined) metadata.namespace = namespace;
    if (Object.keys(annotations).length > 0) metadata.annotations = { ...annotations };
    return metadata;
  }

  #webhookConfiguration(kind: string, spec: WebhookConfigurationSpec): KubeObject {
    const { name, labels } = spec.metadata;
    const stored: KubeObject = {
      ...structuredClone(spec),
      apiVersion: ADMISSION_API_VERSION,
      kind,
      metadata: { ...this.#metadata(name, undefined, {}), ...(labels ? { labels } : {}) },
    };
    return this.#stamp(stored);
  }

  #stamp(object: KubeObject): KubeObject {
    this.#revision += 1;
    object.metadata.resourceVersion = String(this.#revision);
    return object;
  }

  #record(type: WatchEventType, namespace: KubeObject): void {
    const event: HistoryEvent = {
      type,
      revision: this.#revision,
      object: JSON.stringify(namespace),
    };
    this.#history.push(event);
    for (const watch of this.#watches) writeEvent(watch.response, type, event.object);
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://double');
    const target = route(request.method ?? '', url);
    this.#requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      resource: target?.resource,
      verb: target?.verb,
      authorization: request.headers.authorization,
      contentType: request.headers['content-type'],
    });

    if (
      this.#options.token !== undefined &&
      request.headers.authorization !== `Bearer ${this.#options.token}`
    ) {
      sendStatus(response, 401, 'Unauthorized');
      return;
    }
    if (target === undefined) {
      if (request.method === 'GET') {
        sendStatus(response, 404, 'the server could not find the requested resource');
      } else {
        sendStatus(
          response,
          405,
          'the server does not allow this method on the requested resource',
        );
      }
      return;
    }
    const { resource, verb } = target;
    const fault = this.#takeFault(resource, verb);
    if (fault === 'hang') return;
    if (fault !== undefined) {
      sendStatus(response, fault, `injected ${fault} for ${verb} ${resource}`);
      return;
    }
    if (verb === 'watch') {
      this.#watch(url.searchParams, response);
      return;
    }
    void readBody(request).then((body) => {
      const answer = (): void => {
        const contentType = request.headers['content-type'];
        this.#answer(target, { body, contentType, query: url.searchParams }, response);
      };
      const hold = this.#holds.find((held) => held.resource === resource && held.verb === verb);
      const latency = this.#options.latencyMs ?? 0;
      if (hold !== undefined) hold.waiting.push(answer);
      else if (latency > 0) setTimeout(answer, latency);
      else answer();
    });
  }

  #takeFault(resource: KubeResource, verb: KubeVerb): number | 'hang' | undefined {
    const entry = this.#faults.find(
      ({ fault, remaining }) =>
        remaining > 0 &&
        fault.resource === resource &&
        (fault.verb === undefined || fault.verb === verb),
    );
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    return entry.fault.response;
  }

  #answer(target: Route, request: RequestBody, response: ServerResponse): void {
    if (target.verb === 'create') {
      this.#createSecret(target, request, response);
      return;
    }
    if (target.verb === 'update') {
      this.#updateSecret(target, request, response);
      return;
    }
    if (target.verb === 'patch') {
      this.#patchWebhookConfiguration(target, request, response);
      return;
    }
    if (target.resource === 'namespaces' && target.verb === 'list') {
      sendJson(response, 200, {
        kind: 'NamespaceList',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(this.#revision) },
        items: [...this.#namespaces.values()],
      });
      return;
    }
    const listed = LISTED[target.resource];
    if (listed !== undefined && target.verb === 'list') {
      this.#list(target, listed, request.query, response);
      return;
    }
    if (target.verb === 'list') {
      sendStatus(response, 405, `list ${target.resource} is not served by this double`);
      return;
    }
    const found = this.#stored(target);
    if (found === undefined) {
      sendNotFound(response, target);
      return;
    }
    sendJson(response, 200, found);
  }

  #stored(target: Route): KubeObject | undefined {
    switch (target.resource) {
      case 'namespaces':
        return this.#namespaces.get(target.namespace ?? '');
      case 'mutatingwebhookconfigurations':
        return this.#webhookConfigurations.get(target.name ?? '');
      case 'validatingwebhookconfigurations':
        return this.#validatingWebhookConfigurations.get(target.name ?? '');
      case 'secrets':
        return this.#secrets.get(`${target.namespace ?? ''}/${target.name ?? ''}`);
      case 'serviceaccounts':
        return this.#serviceAccounts.get(`${target.namespace ?? ''}/${target.name ?? ''}`);
      case 'jobs':
        return this.#jobs.get(`${target.namespace ?? ''}/${target.name ?? ''}`);
      default:
        return this.#namespaced(target.resource)?.get(
          `${target.namespace ?? ''}/${target.name ?? ''}`,
        );
    }
  }

  /** The store of a namespaced resource that is listed as well as read. */
  #namespaced(resource: KubeResource): Map<string, KubeObject> | undefined {
    const stores: Partial<Record<KubeResource, Map<string, KubeObject>>> = {
      pods: this.#pods,
      replicasets: this.#replicaSets,
      controllerrevisions: this.#controllerRevisions,
      deployments: this.#deployments,
      statefulsets: this.#statefulSets,
      daemonsets: this.#daemonSets,
    };
    return stores[resource];
  }

  #createSecret(target: Route, request: RequestBody, response: ServerResponse): void {
    const namespace = target.namespace ?? '';
    const secret = asSecret(request.body);
    if (secret === undefined) {
      sendStatus(response, 400, 'the body is not a Secret with metadata.name');
      return;
    }
    const { name } = secret.metadata;
    if ((secret.metadata.namespace ?? namespace) !== namespace) {
      sendStatus(
        response,
        400,
        'the namespace of the provided object does not match the namespace sent on the request',
      );
      return;
    }
    if (this.#secrets.has(`${namespace}/${name}`)) {
      sendStatus(
        response,
        409,
        `secrets "${name}" already exists`,
        { name, kind: 'secrets' },
        'AlreadyExists',
      );
      return;
    }
    const invalid = secretProblem(secret);
    if (invalid !== undefined) {
      sendStatus(response, 422, `Secret "${name}" is invalid: ${invalid}`, {
        name,
        kind: 'Secret',
      });
      return;
    }
    const stored: KubeObject = {
      ...secret,
      apiVersion: 'v1',
      kind: 'Secret',
      type: secret.type ?? 'Opaque',
      metadata: {
        ...secret.metadata,
        ...this.#metadata(name, namespace, secret.metadata.annotations ?? {}),
      },
    };
    this.#secrets.set(`${namespace}/${name}`, this.#stamp(stored));
    sendJson(response, 201, stored);
  }

  #updateSecret(target: Route, request: RequestBody, response: ServerResponse): void {
    const name = target.name ?? '';
    const existing = this.#stored(target);
    const secret = asSecret(request.body);
    if (secret?.metadata.name !== name) {
      sendStatus(
        response,
        400,
        `the name of the object does not match the name on the URL (${name})`,
      );
      return;
    }
    if (existing === undefined) {
      sendNotFound(response, target);
      return;
    }
    const version = secret.metadata.resourceVersion ?? '';
    if (version !== '' && version !== existing.metadata.resourceVersion) {
      sendStatus(
        response,
        409,
        `Operation cannot be fulfilled on secrets "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, kind: 'secrets' },
      );
      return;
    }
    const type = secret.type ?? (existing.type as string | undefined);
    const invalid =
      type === existing.type
        ? secretProblem({ ...secret, type })
        : `type: Invalid value: "${String(type)}": field is immutable`;
    if (invalid !== undefined) {
      sendStatus(response, 422, `Secret "${name}" is invalid: ${invalid}`, {
        name,
        kind: 'Secret',
      });
      return;
    }
    const stored: KubeObject = {
      ...secret,
      apiVersion: 'v1',
      kind: 'Secret',
      type,
      metadata: {
        ...secret.metadata,
        name,
        namespace: existing.metadata.namespace,
        uid: existing.metadata.uid,
        creationTimestamp: existing.metadata.creationTimestamp,
        resourceVersion: '',
      },
    };
    this.#secrets.set(`${target.namespace ?? ''}/${name}`, this.#stamp(stored));
    sendJson(response, 200, stored);
  }

  #patchWebhookConfiguration(target: Route, request: RequestBody, response: ServerResponse): void {
    const existing = this.#stored(target);
    if (existing === undefined) {
      sendNotFound(response, target);
      return;
    }
    if (request.contentType?.split(';')[0]?.trim() !== JSON_PATCH) {
      sendStatus(
        response,
        415,
        `the body of the request was in an unknown format - this double accepts ${JSON_PATCH} only`,
      );
      return;
    }
    if (!Array.isArray(request.body)) {
      sendStatus(response, 400, 'a JSON patch is a list of operations');
      return;
    }
    let patched: KubeObject;
    try {
      patched = jsonPatch.applyPatch(
        structuredClone(existing),
        request.body as Operation[],
        true,
      ).newDocument;
    } catch (error: unknown) {
      sendStatus(response, 422, (error as Error).message.split('\n')[0] ?? 'invalid patch');
      return;
    }
    const invalid = caBundleProblem(patched);
    if (invalid !== undefined) {
      sendStatus(response, 422, invalid, { name: target.name, kind: target.resource });
      return;
    }
    patched.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (JSON.stringify(patched) !== JSON.stringify(existing)) {
      const store =
        target.resource === 'mutatingwebhookconfigurations'
          ? this.#webhookConfigurations
          : this.#validatingWebhookConfigurations;
      store.set(target.name ?? '', this.#stamp(patched));
    }
    sendJson(response, 200, this.#stored(target));
  }

  /**
   * One page, as the API server pages a list: the items its `labelSelector` matches after the
   * token's key, at most `limit`, a `continue` token while more remain, and `remainingItemCount`
   * with it, unless there is a selector: the server cannot count what is left then.
   */
  #list(target: Route, listed: ListedKind, query: URLSearchParams, response: ServerResponse): void {
    const selector = query.get('labelSelector');
    const matches = parseLabelQuery(selector ?? '');
    if (matches === undefined) {
      sendStatus(response, 400, `unable to parse requirement: ${selector ?? ''}`);
      return;
    }
    const prefix = target.namespace === undefined ? '' : `${target.namespace}/`;
    const all = [...(this.#namespaced(target.resource) ?? new Map<string, KubeObject>())]
      .filter(([key, object]) => key.startsWith(prefix) && matches(object.metadata.labels ?? {}))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const token = query.get('continue') ?? '';
    const continued = token === '' ? { after: '', revision: this.#revision } : continueKey(token);
    if (continued === undefined) {
      sendStatus(response, 400, 'continue key is not valid: the token was not made by this server');
      return;
    }
    const { after } = continued;
    if (continued.revision < this.#compactedRevision) {
      const status = statusBody(410, CONTINUE_EXPIRED_MESSAGE) as { metadata: object };
      status.metadata = { continue: continueToken(after, this.#revision) };
      sendJson(response, 410, status);
      return;
    }
    const remaining = all.filter(([key]) => after === '' || key > after);
    const limit = Number(query.get('limit') ?? '0');
    const page = limit > 0 ? remaining.slice(0, limit) : remaining;
    const left = remaining.length - page.length;
    const last = page.at(-1)?.[0];
    const metadata: Record<string, unknown> = { resourceVersion: String(this.#revision) };
    if (left > 0 && last !== undefined) {
      metadata.continue = continueToken(last, this.#revision);
      if (selector === null) metadata.remainingItemCount = left;
    }
    sendJson(response, 200, {
      kind: listed.kind,
      apiVersion: listed.apiVersion,
      metadata,
      items: page.map(([, object]) => object),
    });
  }

  #watch(query: URLSearchParams, response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
    response.flushHeaders();
    const from = query.get('resourceVersion') ?? '';
    if (from !== '' && from !== '0' && Number(from) < this.#compactedRevision) {
      const status = statusBody(
        410,
        `too old resource version: ${from} (${this.#compactedRevision})`,
      );
      writeEvent(response, 'ERROR', JSON.stringify(status));
      response.end();
      return;
    }
    if (from === '' || from === '0') {
      for (const namespace of this.#namespaces.values()) {
        writeEvent(response, 'ADDED', JSON.stringify(namespace));
      }
    } else {
      for (const event of this.#history) {
        if (event.revision > Number(from)) writeEvent(response, event.type, event.object);
      }
    }
    const watch: OpenWatch = { response, bookmarks: query.get('allowWatchBookmarks') === 'true' };
    this.#watches.add(watch);
    response.on('close', () => this.#watches.delete(watch));
  }
}

const APPS_RESOURCES: ReadonlySet<KubeResource> = new Set([
  'replicasets',
  'controllerrevisions',
  'deployments',
  'statefulsets',
  'daemonsets',
]);

/** What a list of each listed resource is called. */
interface ListedKind {
  readonly kind: string;
  readonly apiVersion: string;
}

const LISTED: Partial<Record<KubeResource, ListedKind>> = {
  pods: { kind: 'PodList', apiVersion: 'v1' },
  replicasets: { kind: 'ReplicaSetList', apiVersion: 'apps/v1' },
  controllerrevisions: { kind: 'ControllerRevisionList', apiVersion: 'apps/v1' },
  deployments: { kind: 'DeploymentList', apiVersion: 'apps/v1' },
  statefulsets: { kind: 'StatefulSetList', apiVersion: 'apps/v1' },
  daemonsets: { kind: 'DaemonSetList', apiVersion: 'apps/v1' },
};

interface Route {
  readonly resource: KubeResource;
  readonly verb: KubeVerb;
  /** The namespace, or for a namespace GET the namespace's own name. */
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

interface Hold {
  readonly resource: KubeResource;
  readonly verb: KubeVerb;
  readonly waiting: (() => void)[];
}

interface RequestBody {
  /** Parsed JSON; `undefined` when there was no body or it was not JSON. */
  readonly body: unknown;
  readonly contentType: string | undefined;
  readonly query: URLSearchParams;
}

/** A pod or ReplicaSet document, as a real cluster returns it. */
export interface PodDocument {
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly [field: string]: unknown;
  };
  readonly [field: string]: unknown;
}

function namespacedObject(apiVersion: string, kind: string, document: PodDocument): KubeObject {
  const copy = structuredClone(document);
  return {
    ...copy,
    apiVersion,
    kind,
    metadata: {
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      ...copy.metadata,
      resourceVersion: '',
    },
  };
}

function objectKey(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** An opaque token, as the API server's is: base64 of where the next page starts. */
function continueToken(lastKey: string, revision: number): string {
  return Buffer.from(
    JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start: `${lastKey}\u0000` }),
  ).toString('base64');
}

/**
 * The key a token continues after and the revision it was made at, or undefined for a token this
 * double did not make.
 */
function continueKey(token: string): { after: string; revision: number } | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    if (!('start' in parsed) || !('rv' in parsed)) return undefined;
    const { start, rv } = parsed;
    if (typeof start !== 'string' || !start.endsWith('\u0000') || typeof rv !== 'number') {
      return undefined;
    }
    return { after: start.slice(0, -1), revision: rv };
  } catch {
    return undefined;
  }
}

interface SecretBody {
  type?: string;
  data?: Record<string, string>;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Which resource and verb a request is, or `undefined` when the double does not serve it. */
function route(method: string, url: URL): Route | undefined {
  const admission = WEBHOOK_CONFIGURATION_PATTERN.exec(url.pathname);
  if (admission !== null) {
    const name = admission[2];
    const verb = { GET: name === undefined ? 'list' : 'get', PATCH: 'patch' }[method];
    if (verb === undefined || (verb === 'patch' && name === undefined)) return undefined;
    return {
      resource: `${admission[1] as 'mutating' | 'validating'}webhookconfigurations`,
      verb: verb as KubeVerb,
      namespace: undefined,
      name,
    };
  }
  const apps = APPS_PATTERN.exec(url.pathname);
  if (apps !== null) {
    if (method !== 'GET') return undefined;
    const [, namespace, resource, name] = apps;
    const verb = name === undefined ? 'list' : 'get';
    return { resource: resource as KubeResource, verb, namespace, name };
  }
  const job = JOB_PATTERN.exec(url.pathname);
  if (job !== null) {
    if (method !== 'GET') return undefined;
    return { resource: 'jobs', verb: 'get', namespace: job[1], name: job[2] };
  }
  const pods = POD_LIST_PATTERN.exec(url.pathname);
  if (pods !== null) {
    if (method !== 'GET') return undefined;
    return { resource: 'pods', verb: 'list', namespace: pods[1], name: undefined };
  }
  const match = PATH_PATTERN.exec(url.pathname);
  if (match === null) return undefined;
  const [, namespace, collection, name] = match;
  if (collection === undefined) {
    if (method !== 'GET') return undefined;
    if (namespace !== undefined) return { resource: 'namespaces', verb: 'get', namespace, name };
    const verb = url.searchParams.get('watch') === 'true' ? 'watch' : 'list';
    return { resource: 'namespaces', verb, namespace, name };
  }
  const resource = collection as KubeResource;
  const verb = itemVerb(method, name !== undefined, resource === 'secrets');
  return verb === undefined ? undefined : { resource, verb, namespace, name };
}

function itemVerb(method: string, named: boolean, writable: boolean): KubeVerb | undefined {
  if (method === 'GET') return named ? 'get' : 'list';
  if (!writable) return undefined;
  if (method === 'POST' && !named) return 'create';
  if (method === 'PUT' && named) return 'update';
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asSecret(body: unknown): SecretBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const metadata = (body as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { name } = metadata as { name?: unknown };
  return typeof name === 'string' && name !== '' ? (body as SecretBody) : undefined;
}

/** What the API server's Secret validation would reject: data that is not base64, TLS keys missing. */
function secretProblem(secret: SecretBody): string | undefined {
  const data = secret.data ?? {};
  const bad = Object.entries(data).find(([, value]) => !BASE64_PATTERN.test(value));
  if (bad !== undefined) return `data[${bad[0]}]: Invalid value: <secret contents redacted>`;
  if (secret.type !== TLS_SECRET_TYPE) return undefined;
  const missing = ['tls.crt', 'tls.key'].find((key) => !(key in data));
  return missing === undefined ? undefined : `data[${missing}]: Required value`;
}

function caBundleProblem(configuration: KubeObject): string | undefined {
  const webhooks = (configuration.webhooks ?? []) as { clientConfig?: { caBundle?: unknown } }[];
  const bad = webhooks.findIndex(({ clientConfig }) => {
    const caBundle = clientConfig?.caBundle;
    return (
      caBundle !== undefined && (typeof caBundle !== 'string' || !BASE64_PATTERN.test(caBundle))
    );
  });
  return bad < 0 ? undefined : `webhooks[${bad}].clientConfig.caBundle: illegal base64 data`;
}

function copyOf(object: KubeObject | undefined): StoredObject | undefined {
  return object === undefined ? undefined : structuredClone(object);
}

function sendNotFound(response: ServerResponse, target: Route): void {
  const name = target.resource === 'namespaces' ? target.namespace : target.name;
  const group = target.resource.endsWith('webhookconfigurations')
    ? 'admissionregistration.k8s.io'
    : APPS_RESOURCES.has(target.resource)
      ? 'apps'
      : target.resource === 'jobs'
        ? 'batch'
        : '';
  const kind = group === '' ? target.resource : `${target.resource}.${group}`;
  sendStatus(response, 404, `${kind} "${name ?? ''}" not found`, { name, kind: target.resource });
}

function writeEvent(response: ServerResponse, type: string, object: string): void {
  response.write(`{"type":"${type}","object":${object}}\n`);
}

function statusBody(code: number, message: string, details?: object, reason?: string): object {
  const body: Record<string, unknown> = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: reason ?? STATUS_REASONS[code] ?? 'Unknown',
    code,
  };
  if (details !== undefined) body.details = details;
  return body;
}

function sendStatus(
  response: ServerResponse,
  code: number,
  message: string,
  details?: object,
  reason?: string,
): void {
  sendJson(response, code, statusBody(code, message, details, reason));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
