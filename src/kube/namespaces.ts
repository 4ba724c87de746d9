/**
 * Which namespaces opted in to pinning (annotation or label `digest-pinner.io/pin: enabled`), kept current
 * by a list + watch through client-node's informer. The informer itself relists after a 410 and
 * reconnects when a stream ends, but after any other failure (a refused connection, a 500, a
 * failed list) it reports an error and stops for good; this class restarts it with backoff.
 */
import { EventEmitter, once } from 'node:events';
import {
  makeInformer,
  type CoreV1Api,
  type Informer,
  type KubeConfig,
  type V1Namespace,
  type V1NamespaceList,
} from '@kubernetes/client-node';
import { abortReason } from '../lib/abort.js';
import { Backoff, type BackoffPolicy } from '../lib/backoff.js';
import { PIN_ANNOTATION, PIN_LABEL, PinAnnotationValues } from '../image/pin-annotation.js';
import {
  callKubeApi,
  ignoreKubeApiCalls,
  kubernetesApiError,
  type KubeApiObserver,
} from './api-calls.js';

const NAMESPACES_PATH = '/api/v1/namespaces';
const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, jitter: 0.2 };

export interface NamespaceWatcherOptions {
  /** Where the watch connects; the same cluster `core` talks to. */
  readonly kubeConfig: KubeConfig;
  readonly core: Pick<CoreV1Api, 'listNamespace'>;
  readonly observer?: KubeApiObserver;
  /** Each list or watch failure, for logs; the watcher recovers by itself. */
  readonly onError?: (error: unknown) => void;
  /** Delay before restarting after a failure, doubling up to `maxMs`, jittered. */
  readonly backoff?: Partial<BackoffPolicy>;
}

export class NamespaceWatcher {
  readonly #informer: Informer<V1Namespace>;
  readonly #observer: KubeApiObserver;
  readonly #onError: (error: unknown) => void;
  readonly #backoff: Backoff;
  readonly #optedIn = new Set<string>();
  /** `synced` once the first list is in; `error` when stopped first. */
  readonly #events = new EventEmitter<{ synced: []; error: [Error] }>();
  readonly #stopping = new AbortController();
  #synced = false;
  #started = false;
  #retrying = false;
  #running: Promise<void> | undefined;
  /** A failed list reaches the error callback too; it was already counted, and is one already. */
  #lastListError: unknown;

  constructor(options: NamespaceWatcherOptions) {
    this.#observer = options.observer ?? ignoreKubeApiCalls;
    this.#onError = options.onError ?? (() => undefined);
    this.#backoff = new Backoff({ ...DEFAULT_BACKOFF, ...options.backoff });
    const list = () => this.#list(options.core);
    this.#informer = makeInformer(options.kubeConfig, NAMESPACES_PATH, list);
    this.#informer.on('add', (namespace) => {
      this.#apply(namespace);
    });
    this.#informer.on('update', (namespace) => {
      this.#apply(namespace);
    });
    this.#informer.on('delete', (namespace) => {
      this.#optedIn.delete(namespace.metadata?.name ?? '');
      this.#backoff.reset();
    });
    this.#informer.on('error', (error: unknown) => {
      this.#failed(error);
    });
  }

  /** Whether the first list has completed; until then no namespace counts as opted in. */
  get synced(): boolean {
    return this.#synced;
  }

  isOptedIn(namespace: string): boolean {
    return this.#optedIn.has(namespace);
  }

  /** Starts listing and watching; failures are retried until `stop()`. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#run();
  }

  /** Resolves once synced; rejects when `signal` aborts or the watcher stops first. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return;
    if (this.#stopping.signal.aborted) throw new Error('namespace watcher stopped');
    try {
      await once(this.#events, 'synced', { signal });
    } catch (error: unknown) {
      throw signal?.aborted === true ? abortReason(signal) : error;
    }
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#informer.stop();
    // A start in progress opens its watch once its list returns, whatever stop() said meanwhile;
    // that watch is closed as soon as it opens, without holding stop() up for a slow list.
    void this.#running?.then(() => this.#informer.stop());
    if (this.#events.listenerCount('error') > 0) {
      this.#events.emit('error', new Error('namespace watcher stopped'));
    }
  }

  #run(): void {
    const running = this.#informer.start().catch((error: unknown) => {
      this.#failed(error);
    });
    this.#running = running;
    void running.finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
  }

  async #list(core: Pick<CoreV1Api, 'listNamespace'>): Promise<V1NamespaceList> {
    const call = {
      observer: this.#observer,
      resource: 'namespaces' as const,
      what: 'list namespaces',
    };
    try {
      const list = await callKubeApi(call, () => core.listNamespace());
      this.#replaceAll(list.items);
      return list;
    } catch (error: unknown) {
      this.#lastListError = error;
      throw error;
    }
  }

  /** A full list is the whole truth: namespaces it lacks were deleted while we were away. */
  #replaceAll(namespaces: readonly V1Namespace[]): void {
    this.#optedIn.clear();
    for (const namespace of namespaces) this.#apply(namespace);
    this.#synced = true;
    this.#events.emit('synced');
  }

  #apply(namespace: V1Namespace): void {
    const name = namespace.metadata?.name;
    if (name === undefined) return;
    if (optsIn(namespace)) this.#optedIn.add(name);
    else this.#optedIn.delete(name);
    this.#backoff.reset();
  }

  #failed(error: unknown): void {
    if (this.#stopping.signal.aborted) return;
    let failure = error;
    if (error !== this.#lastListError) {
      const watchFailure = kubernetesApiError(error, 'watch namespaces');
      this.#observer.apiCall('namespaces', watchFailure.status ?? 'error');
      failure = watchFailure;
    }
    this.#lastListError = undefined;
    this.#onError(failure);
    if (this.#retrying) return;
    this.#retrying = true;
    void this.#backoff.wait(this.#stopping.signal).then((waited) => {
      this.#retrying = false;
      if (waited) this.#run();
    });
  }
}

/** The annotation is the documented way; the label opts in just the same. */
function optsIn(namespace: V1Namespace): boolean {
  const metadata = namespace.metadata;
  return (
    metadata?.annotations?.[PIN_ANNOTATION] === PinAnnotationValues.enabled ||
    metadata?.labels?.[PIN_LABEL] === PinAnnotationValues.enabled
  );
}
