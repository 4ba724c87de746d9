/**
 * Listing pods a page at a time, in one namespace or all of them, optionally only those a label
 * selector matches: list-pages.ts pages them.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { JsonObject } from '../lib/json-object.js';
import type { KubeApiObserver } from './api-calls.js';
import { listPages } from './list-pages.js';

export type PodListApi = Pick<CoreV1Api, 'listNamespacedPod' | 'listPodForAllNamespaces'>;

export interface PodPagesOptions {
  readonly api: PodListApi;
  /** One namespace, or every namespace when undefined. */
  readonly namespace: string | undefined;
  /** Only the pods it matches, in the API's string form (`app=web,tier in (a,b)`). */
  readonly labelSelector?: string;
  /** Pods asked for per page. */
  readonly limit: number;
  readonly observer?: KubeApiObserver;
  /** Told when the list went on from a newer snapshot after its own expired. */
  readonly onExpired?: () => void;
}

/** The pods, page by page, as listPages pages them. */
export function podPages(options: PodPagesOptions): AsyncGenerator<JsonObject[]> {
  const { api, namespace, labelSelector } = options;
  const selected = labelSelector === undefined ? {} : { labelSelector };
  const where = namespace === undefined ? 'in all namespaces' : `in ${namespace}`;
  return listPages({
    resource: 'pods',
    what: `list pods ${where}`,
    limit: options.limit,
    observer: options.observer,
    onExpired: options.onExpired,
    list: (page) =>
      namespace === undefined
        ? api.listPodForAllNamespaces({ ...page, ...selected })
        : api.listNamespacedPod({ ...page, ...selected, namespace }),
  });
}
