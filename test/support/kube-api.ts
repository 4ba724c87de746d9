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
 *   GET /api/v1/namespaces/{ns}/serviceaccounts/{name}
 *
 * Anything missing is a 404 with a `Status` body (`reason: NotFound`), as the real server answers.
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
import {
  dockerRegistrySecret,
  type DockerRegistrySecretSpec,
  type TestSecret,
} from './docker-secrets.js';
import { testCertificate } from './https.js';

export type KubeResource = 'namespaces' | 'secrets' | 'serviceaccounts';
export type KubeVerb = 'get' | 'list' | 'watch';

export interface KubeApiRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly resource: KubeResource | undefined;
  readonly verb: KubeVerb | undefined;
  readonly authorization: string | undefined;
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

type Annotations = Readonly<Record<string, string>>;

interface KubeObject {
  apiVersion: 'v1';
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

const STATUS_REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
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
   * resourceVersion gets an ERROR event with a 410 Expired Status, then the stream ends.
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
    const target = route(url);
    this.#requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      resource: target?.resource,
      verb: target?.verb,
      authorization: request.headers.authorization,
    });

    if (
      this.#options.token !== undefined &&
      request.headers.authorization !== `Bearer ${this.#options.token}`
    ) {
      sendStatus(response, 401, 'Unauthorized');
      return;
    }
    if (request.method !== 'GET') {
      sendStatus(response, 405, `the server does not allow this method on the requested resource`);
      return;
    }
    if (target === undefined) {
      sendStatus(response, 404, 'the server could not find the requested resource');
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
    const answer = (): void => {
      this.#answer(target, response);
    };
    const latency = this.#options.latencyMs ?? 0;
    if (latency > 0) setTimeout(answer, latency);
    else answer();
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

  #answer(target: Route, response: ServerResponse): void {
    if (target.resource === 'namespaces' && target.verb === 'list') {
      sendJson(response, 200, {
        kind: 'NamespaceList',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(this.#revision) },
        items: [...this.#namespaces.values()],
      });
      return;
    }
    if (target.verb === 'list') {
      sendStatus(response, 405, `list ${target.resource} is not served by this double`);
      return;
    }
    const key =
      target.resource === 'namespaces'
        ? (target.namespace ?? '')
        : `${target.namespace ?? ''}/${target.name ?? ''}`;
    const store =
      target.resource === 'namespaces'
        ? this.#namespaces
        : target.resource === 'secrets'
          ? this.#secrets
          : this.#serviceAccounts;
    const found = store.get(key);
    if (found === undefined) {
      const name = target.resource === 'namespaces' ? target.namespace : target.name;
      sendStatus(response, 404, `${target.resource} "${name ?? ''}" not found`, {
        name,
        kind: target.resource,
      });
      return;
    }
    sendJson(response, 200, found);
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

interface Route {
  readonly resource: KubeResource;
  readonly verb: KubeVerb;
  /** The namespace, or for a namespace GET the namespace's own name. */
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

function route(url: URL): Route | undefined {
  const match = PATH_PATTERN.exec(url.pathname);
  if (match === null) return undefined;
  const [, namespace, collection, name] = match;
  if (collection === undefined) {
    if (namespace !== undefined) return { resource: 'namespaces', verb: 'get', namespace, name };
    const verb = url.searchParams.get('watch') === 'true' ? 'watch' : 'list';
    return { resource: 'namespaces', verb, namespace, name };
  }
  const resource = collection as KubeResource;
  return { resource, verb: name === undefined ? 'list' : 'get', namespace, name };
}

function writeEvent(response: ServerResponse, type: string, object: string): void {
  response.write(`{"type":"${type}","object":${object}}\n`);
}

function statusBody(code: number, message: string, details?: object): object {
  const body: Record<string, unknown> = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: STATUS_REASONS[code] ?? 'Unknown',
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
): void {
  sendJson(response, code, statusBody(code, message, details));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
