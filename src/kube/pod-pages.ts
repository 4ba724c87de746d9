/**
 * Listing pods a page at a time (`limit` and `continue`), as kubectl does with `--chunk-size`:
 * a cluster's pods are never held, nor asked for, all at once. Each item is handed on as
 * untrusted JSON, to be read with json-object.ts like an admitted object.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { KubernetesApiError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../lib/json-object.js';
import { callKubeApi, ignoreKubeApiCalls, type KubeApiObserver } from './api-calls.js';

export type PodListApi = Pick<CoreV1Api, 'listNamespacedPod' | 'listPodForAllNamespaces'>;

export interface PodPagesOptions {
  readonly api: PodListApi;
  /** One namespace, or every namespace when undefined. */
  readonly namespace: string | undefined;
  /** Pods asked for per page. */
  readonly limit: number;
  readonly observer?: KubeApiObserver;
  /** Told when the list went on from a newer snapshot after its own expired. */
  readonly onExpired?: () => void;
}

/**
 * The pods, page by page, until the API server gives no `continue` token. When the snapshot the
 * pages come from has been compacted away (410 Expired), the list goes on with the token the
 * Status offers, from a newer snapshot, as kubectl does; `onExpired` hears of it, because pods
 * changed meanwhile may then be missed or listed twice. Starting over instead could page forever
 * on a busy cluster.
 */
export async function* podPages(options: PodPagesOptions): AsyncGenerator<JsonObject[]> {
  let token: string | undefined;
  do {
    const list = await listPage(options, token);
    if ('expired' in list) {
      options.onExpired?.();
      token = list.expired;
      continue;
    }
    yield list.items.filter((item): item is typeof item & JsonObject => isJsonObject(item));
    const next = list.metadata?._continue;
    token = next === undefined || next === '' ? undefined : next;
  } while (token !== undefined);
}

type PodList = Awaited<ReturnType<PodListApi['listPodForAllNamespaces']>>;

async function listPage(
  options: PodPagesOptions,
  token: string | undefined,
): Promise<PodList | { expired: string }> {
  const page = { limit: options.limit, ...(token === undefined ? {} : { _continue: token }) };
  const where = options.namespace === undefined ? 'in all namespaces' : `in ${options.namespace}`;
  try {
    return await callKubeApi(
      {
        observer: options.observer ?? ignoreKubeApiCalls,
        resource: 'pods',
        what: `list pods ${where}`,
      },
      () =>
        options.namespace === undefined
          ? options.api.listPodForAllNamespaces(page)
          : options.api.listNamespacedPod({ ...page, namespace: options.namespace }),
    );
  } catch (error: unknown) {
    const resumable =
      token !== undefined &&
      error instanceof KubernetesApiError &&
      error.status === 410 &&
      error.continueToken !== undefined;
    if (resumable) return { expired: error.continueToken };
    throw error;
  }
}
