/** The options of a SupervisedInformer (supervised-informer.ts): what it watches and how it recovers. */
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import type { PageLister } from "./paged-list.js";

/** What a supervised informer watches and how it recovers. */
export interface SupervisedInformerOptions<T extends KubernetesObject> {
  /** Short name for metrics and logs, e.g. "nodes". */
  resource: string;
  kubeConfig: KubeConfig;
  /** Collection path, e.g. /api/v1/nodes. */
  path: string;
  /**
   * Lists one page of the collection (the request's `limit` and `_continue` come in `page`) with
   * the same selectors as the watch; must give up when `signal` aborts.
   */
  list: PageLister<T>;
  /** Objects per list page. Default 500 (client-go's page size). */
  listPageSize?: number;
  labelSelector?: string;
  fieldSelector?: string;
  /** Delay before restart number `attempt` (0-based) after an error. */
  restartDelayMs: (attempt: number) => number;
  /** Called for every restart (error or watchdog), before the delay. */
  onRestart?: (resource: string, reason: string, delayMs: number) => void;
  /** Base of the server-side watch timeout; each watch uses base·(1..2). Default 300. */
  watchTimeoutSeconds?: number;
  /** Deadline for a watch request's response headers. Default 30 s. */
  watchResponseTimeoutMs?: number;
  /**
   * Trims each listed or watched object before it is cached (as client-go's informer transforms
   * do): what the cache holds is what a process keeps in memory for every object of the cluster.
   */
  transform?: (object: T) => T;
}
