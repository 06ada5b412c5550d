/**
 * A collection read page by page (limit/continue, one snapshot), each page trimmed before the next
 * is read: a relist of 5,000 Pods never holds the whole untrimmed list (nor client-node's
 * deserialized copy of it) at once, which is what set the controller's peak memory.
 */
import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";

/**
 * One list request's page: at most `limit` objects, after `_continue` (the server's token from the
 * previous page; every page then comes from the first page's snapshot).
 */
export interface ListPage {
  limit: number;
  _continue?: string;
}

/** Lists one page of a collection; must give up when `signal` aborts. */
export type PageLister<T extends KubernetesObject> = (signal: AbortSignal, page: ListPage) => Promise<KubernetesListObject<T>>;

/**
 * Every object of the collection, `pageSize` at a time, each passed through `transform` as its
 * page arrives. The result carries the first page's metadata (its resourceVersion is the
 * snapshot's) without a continue token.
 */
export async function listAllPages<T extends KubernetesObject>(list: PageLister<T>, signal: AbortSignal, pageSize: number, transform?: (object: T) => T): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let page = await list(signal, { limit: pageSize });
  const first = page;
  for (;;) {
    for (const item of page.items) items.push(transform ? transform(item) : item);
    const token = page.metadata?._continue;
    if (!token) break;
    page = await list(signal, { limit: pageSize, _continue: token });
  }
  return { ...first, metadata: { ...first.metadata, _continue: undefined }, items };
}
