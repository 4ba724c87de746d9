/**
 * Listing any collection a page at a time (`limit` and `continue`), as kubectl does with
 * `--chunk-size`: a cluster's objects are never held, nor asked for, all at once. Each item is
 * handed on as untrusted JSON, to be read with json-object.ts like an admitted object.
 */
import { KubernetesApiError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../lib/json-object.js';
import {
  callKubeApi,
  ignoreKubeApiCalls,
  type KubeApiObserver,
  type KubeApiResource,
} from './api-calls.js';

/** What client-node's list calls answer, as far as paging reads it. */
export interface ListPage {
  readonly items: readonly unknown[];
  readonly metadata?: { readonly _continue?: string };
}

/** The paging parameters of a client-node list call. */
export interface PageRequest {
  readonly limit: number;
  readonly _continue?: string;
}

export interface ListPagesOptions {
  readonly resource: KubeApiResource;
  /** For the message: `list pods in team-a`. */
  readonly what: string;
  /** One page of the list. */
  readonly list: (page: PageRequest) => Promise<ListPage>;
  /** Objects asked for per page. */
  readonly limit: number;
  readonly observer?: KubeApiObserver;
  /** Told when the list went on from a newer snapshot after its own expired. */
  readonly onExpired?: () => void;
}

/**
 * The objects, page by page, until the API server gives no `continue` token. When the snapshot
 * the pages come from has been compacted away (410 Expired), the list goes on with the token the
 * Status offers, from a newer snapshot, as kubectl does; `onExpired` hears of it, because objects
 * changed meanwhile may then be missed or listed twice. Starting over instead could page forever
 * on a busy cluster.
 */
export async function* listPages(options: ListPagesOptions): AsyncGenerator<JsonObject[]> {
  let token: string | undefined;
  do {
    const list = await listPage(options, token);
    if ('expired' in list) {
      options.onExpired?.();
      token = list.expired;
      continue;
    }
    yield list.items.filter(isJsonObject);
    const next = list.metadata?._continue;
    token = next === undefined || next === '' ? undefined : next;
  } while (token !== undefined);
}

async function listPage(
  options: ListPagesOptions,
  token: string | undefined,
): Promise<ListPage | { expired: string }> {
  const page = { limit: options.limit, ...(token === undefined ? {} : { _continue: token }) };
  const call = {
    observer: options.observer ?? ignoreKubeApiCalls,
    resource: options.resource,
    what: options.what,
  };
  try {
    return await callKubeApi(call, () => options.list(page));
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
