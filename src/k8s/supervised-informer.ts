/**
 * A client-node informer (ListWatch: list, then watch from the list's resourceVersion, relist on
 * 410 Gone) kept alive. client-node 1.4.0's informer STOPS on any other error (apiserver restart,
 * connection refused, 403, a reset stream); this wrapper restarts it after a capped, jittered
 * delay. A restart resumes the watch from the last resourceVersion (the server answers 410 if that
 * is compacted away, and the informer relists, emitting deletes for objects that vanished), so no
 * change is lost.
 *
 * More guards:
 * - the list is read in pages, each trimmed before the next is read (paged-list.ts);
 * - the watch transport (BoundedWatch) bounds the wait for response headers and can abort a request
 *   still connecting, so neither a hung connection nor stop() can block for good;
 * - every watch carries `timeoutSeconds` (randomized like client-go), so the server ends it cleanly
 *   and it is re-established from the last resourceVersion;
 * - a watchdog restarts a watch that has shown no sign of life for longer than that (a half-open
 *   connection the server's close never reaches).
 */
import { ListWatch, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import { BoundedWatch } from "./bounded-watch.js";
import { listAllPages } from "./paged-list.js";
import type { SupervisedInformerOptions } from "./supervised-informer-options.js";

export type { ListPage } from "./paged-list.js";
export type { SupervisedInformerOptions } from "./supervised-informer-options.js";

const DEFAULT_LIST_PAGE_SIZE = 500;

/** Kinds of cache change. */
export type ChangeType = "add" | "update" | "delete";

/** A read-only cache of one resource, kept in sync by a list-watch that survives errors. */
export class SupervisedInformer<T extends KubernetesObject> {
  private readonly informer: ListWatch<T>;
  private readonly watch: BoundedWatch;
  private lifetime = new AbortController();
  private readonly listeners: Array<(change: ChangeType, object: T) => void> = [];
  private readonly syncWaiters: Array<() => void> = [];
  private readonly firstListWaiters: Array<() => void> = [];
  private failed = false;
  private attempts = 0;
  private listed = false;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastActivity = Date.now();
  private running: Promise<void> = Promise.resolve();
  private readonly watchTimeoutSeconds: number;
  /** True once the first complete list has been applied to the cache. */
  synced = false;
  /** Moves on every cache change: what was derived from `list()` at one version holds until it moves. */
  version = 0;

  constructor(private readonly options: SupervisedInformerOptions<T>) {
    this.watchTimeoutSeconds = Math.round((options.watchTimeoutSeconds ?? 300) * (1 + Math.random()));
    const transform = options.transform;
    const list = async () => {
      const result = await this.listInPages();
      this.listed = true;
      this.attempts = 0;
      return result;
    };
    const path = `${options.path}?timeoutSeconds=${this.watchTimeoutSeconds}`;
    this.watch = new BoundedWatch(options.kubeConfig, options.watchResponseTimeoutMs ?? 30_000, transform as ((object: unknown) => unknown) | undefined);
    this.informer = new ListWatch<T>(path, this.watch, list, false, options.labelSelector, options.fieldSelector);
    for (const change of ["add", "update", "delete"] as const) {
      this.informer.on(change, (object) => this.notify(change, object));
    }
    this.informer.on("connect", () => (this.lastActivity = Date.now()));
    this.informer.on("error", (error) => this.scheduleRestart(describe(error)));
  }

  /** The whole collection, page by page (paged-list.ts); the list's resourceVersion is the snapshot's. */
  private listInPages(): Promise<KubernetesListObject<T>> {
    const { transform, listPageSize = DEFAULT_LIST_PAGE_SIZE } = this.options;
    return listAllPages(this.options.list, this.lifetime.signal, listPageSize, transform);
  }

  /** The cached object, by name (and namespace for namespaced resources). */
  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  /** Every cached object. */
  list(): readonly T[] {
    return this.informer.list();
  }

  /** Subscribes to cache changes (also those a relist discovers). */
  onChange(listener: (change: ChangeType, object: T) => void): void {
    this.listeners.push(listener);
  }

  /** Starts listing and watching; resolves after the first attempt (synced or not). */
  start(): Promise<void> {
    this.stopping = false;
    this.lifetime = new AbortController();
    const checkEvery = Math.max(1000, (this.watchTimeoutSeconds * 1000) / 4);
    this.watchdog = setInterval(() => this.checkAlive(), checkEvery);
    this.watchdog.unref();
    return this.run();
  }

  /** Resolves once the cache holds a complete list. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /**
   * Resolves once the first list has either filled the cache or failed (a restart is then
   * scheduled): for a cache the caller can do without while it keeps retrying.
   */
  waitForFirstList(): Promise<void> {
    if (this.synced || this.failed) return Promise.resolve();
    return new Promise((resolve) => this.firstListWaiters.push(resolve));
  }

  /** Stops watching (pending restarts cancelled, requests in flight aborted); the cache keeps its content. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.watchdog);
    this.lifetime.abort();
    this.watch.abortAll();
    await this.informer.stop();
    await this.running;
  }

  private run(): Promise<void> {
    this.lastActivity = Date.now();
    this.running = this.informer.start().then(async () => {
      if (this.stopping) await this.informer.stop();
      if (this.listed && !this.synced) this.markSynced();
    });
    return this.running;
  }

  private markSynced(): void {
    this.synced = true;
    for (const resolve of [...this.syncWaiters.splice(0), ...this.firstListWaiters.splice(0)]) resolve();
  }

  private notify(change: ChangeType, object: T): void {
    this.version += 1;
    this.lastActivity = Date.now();
    this.attempts = 0;
    for (const listener of this.listeners) listener(change, object);
  }

  private scheduleRestart(reason: string): void {
    if (this.stopping || this.restartTimer) return;
    const delay = this.options.restartDelayMs(this.attempts);
    this.attempts += 1;
    this.failed = true;
    for (const resolve of this.firstListWaiters.splice(0)) resolve();
    this.options.onRestart?.(this.options.resource, reason, delay);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopping) void this.run();
    }, delay);
    this.restartTimer.unref();
  }

  private checkAlive(): void {
    const silentFor = Date.now() - this.lastActivity;
    if (this.stopping || this.restartTimer || silentFor < (this.watchTimeoutSeconds + 30) * 1000) return;
    // The server should have closed this watch by now: the stream is dead without an error.
    this.watch.abortAll();
    void this.informer.stop().then(() => this.scheduleRestart(`no watch activity for ${Math.round(silentFor / 1000)} s`));
  }
}

function describe(error: unknown): string {
  const { statusCode, code, message } = (error ?? {}) as { statusCode?: unknown; code?: unknown; message?: unknown };
  const status = statusCode ?? code;
  return `${status === undefined ? "" : `${String(status)} `}${typeof message === "string" ? message : String(error)}`.trim();
}
