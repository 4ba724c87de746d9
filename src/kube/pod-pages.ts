/**
 * Listing pods a page at a time (`limit` and `continue`), as kubectl does with `--chunk-size`:
 * a cluster's pods are never held, nor asked for, all at once. Each item is handed on as
 * untrusted JSON, to be read with json-object.ts like an admitted object.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { isJsonObject, type JsonObject } from '../json-object.js';
import { callKubeApi, ignoreKubeApiCalls, type KubeApiObserver } from './api-calls.js';

export type PodListApi = Pick<CoreV1Api, 'listNamespacedPod' | 'listPodForAllNamespaces'>;

export interface PodPagesOptions {
  readonly api: PodListApi;
  /** One namespace, or every namespace when undefined. */
  readonly namespace: string | undefined;
  /** Pods asked for per page. */
  readonly limit: number;
  readonly observer?: KubeApiObserver;
}

/** The pods, page by page, until the API server gives no `continue` token. */
export async function* podPages(options: PodPagesOptions): AsyncGenerator<JsonObject[]> {
  const observer = options.observer ?? ignoreKubeApiCalls;
  let token: string | undefined;
  do {
    const page = { limit: options.limit, ...(token === undefined ? {} : { _continue: token }) };
    const where = options.namespace === undefined ? 'in all namespaces' : `in ${options.namespace}`;
    const list = await callKubeApi(
      { observer, resource: 'pods', what: `list pods ${where}` },
      () =>
        options.namespace === undefined
          ? options.api.listPodForAllNamespaces(page)
          : options.api.listNamespacedPod({ ...page, namespace: options.namespace }),
    );
    yield list.items.filter((item): item is typeof item & JsonObject => isJsonObject(item));
    const next = list.metadata?._continue;
    token = next === undefined || next === '' ? undefined : next;
  } while (token !== undefined);
}
