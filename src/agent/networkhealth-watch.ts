/**
 * The agent's view of its own NetworkHealth, kept by one WATCH instead of a GET every interval: at
 * 5,000 nodes the GETs alone were ~500 requests/s, and an order waited for the next one. List the
 * object by field selector (a snapshot and its resourceVersion), watch from there with bookmarks,
 * and resume from the last resourceVersion seen when the server ends the watch (timeoutSeconds) or
 * the connection breaks (apiserver restart: jittered backoff). A resourceVersion the server no
 * longer has (410 Gone, after etcd compaction) means events may be lost: list again, so the object
 * held is always the server's current one — an order written meanwhile is in it.
 *
 * A watch can also die silently, and the agent would hear nothing until the watch's own deadline.
 * Every write the agent makes to its object (a changed report) must come back on its watch
 * (delivery-proof.ts); one that does not within a grace period ends the attempt, and the watch
 * resumes. Between writes — hours on a steady node, whose liveness is its Lease — TCP keepalive on the
 * light client's sockets keeps middleboxes' idle state and finds a vanished peer, and each watch asks
 * for a long server timeout (30–60 min), so renewals stay a small share of an idle agent's requests.
 */
import type { Logger } from "pino";
import type { NetworkHealth } from "../api/index.js";
import type { NetworkHealthEvent, OneObjectList, WatchOptions } from "../k8s/light/agent-api-client.js";
import { Backoff, sleep } from "./backoff.js";
import { DeliveryProof } from "./delivery-proof.js";

/** The two calls the watch makes (AgentApiClient provides them). */
export interface NetworkHealthWatchApi {
  listOne(name: string): Promise<OneObjectList>;
  watchOne(name: string, resourceVersion: string, onEvent: (event: NetworkHealthEvent) => void, options: WatchOptions): Promise<void>;
}

/** Tuning (tests shorten it). */
export interface NetworkHealthWatchOptions {
  /** Base of the server-side watch timeout; each watch asks for base·(1..2) so agents do not reconnect in step. Default 1800. */
  timeoutSeconds?: number;
  /** How long the watch may take to deliver a write the agent made (expectDelivery) before it counts as dead. Default 30 s. */
  deliveryGraceMs?: number;
  /** Retry delays after errors. Default 1 s doubling to 30 s, jittered. */
  backoff?: Backoff;
}

const isGone = (error: unknown): boolean => (error as { code?: unknown }).code === 410;

/** The default base of each watch's server-side timeout (seconds); each asks for base·(1..2). */
export const WATCH_TIMEOUT_BASE_SECONDS = 1800;

/** A NetworkHealth kept current by list + watch; `changes` listeners hear every new version. */
export class NetworkHealthWatch {
  private object: NetworkHealth | undefined;
  /** Where the next watch starts; undefined = list first. */
  private resourceVersion: string | undefined;
  private syncWaiters: Array<() => void> = [];
  private readonly listeners = new Set<(object: NetworkHealth | undefined) => void>();
  private readonly backoff: Backoff;
  /** Whether a list has completed (the object held is the server's, or known absent). */
  synced = false;
  /** Lists made so far (the first and every relist after 410). */
  lists = 0;
  /** Lists and watches that failed (retried after a backoff; a 410 relist is not a failure). */
  failures = 0;
  /** Watch attempts ended because a write of the agent's did not come back on them in time. */
  silentRestarts = 0;
  /** The watch request in flight (undefined between attempts). */
  private attempt: AbortController | undefined;
  private readonly delivery: DeliveryProof;

  constructor(private readonly api: NetworkHealthWatchApi, private readonly name: string, private readonly logger: Logger, private readonly options: NetworkHealthWatchOptions = {}) {
    this.backoff = options.backoff ?? new Backoff(1000, 30_000);
    this.delivery = new DeliveryProof(options.deliveryGraceMs ?? 30_000, (resourceVersion, graceMs) => this.restartUndelivered(resourceVersion, graceMs));
  }

  /** The object as last seen (undefined: it does not exist). Waits for the first list. */
  async current(signal?: AbortSignal): Promise<NetworkHealth | undefined> {
    if (!this.synced && !signal?.aborted) await new Promise<void>((resolve) => {
      this.syncWaiters.push(resolve);
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
    return this.object;
  }

  /** The object as last seen, without waiting (undefined before the first list too). */
  peek(): NetworkHealth | undefined {
    return this.object;
  }

  /** Calls `listener` with every new version of the object (undefined when deleted); returns the unsubscribe. */
  onChange(listener: (object: NetworkHealth | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Expects the watch to deliver `resourceVersion` — the answer to a write this agent just made to its
   * own object — within the delivery grace (DeliveryProof); if it has not by then, the watch in flight
   * is ended and resumed from the last version seen (which brings the write).
   */
  expectDelivery(resourceVersion: string): void {
    this.delivery.expect(resourceVersion);
  }

  private restartUndelivered(resourceVersion: string, graceMs: number): boolean {
    if (!this.attempt) return false;
    this.silentRestarts += 1;
    this.logger.warn({ resourceVersion, graceMs }, "networkhealth watch did not deliver the agent's own write; restarting it");
    this.attempt.abort();
    return true;
  }

  /** Lists and watches until `signal` aborts. Never throws: errors are logged and retried. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let listed = false;
      try {
        if (this.resourceVersion === undefined) listed = await this.list().then(() => true);
        await this.watchOnce(signal);
        this.backoff.reset();
      } catch (error) {
        // Gone right after a list would relist in a tight loop: that one waits like any error.
        if (isGone(error) && !listed) {
          this.logger.info({ resourceVersion: this.resourceVersion }, "networkhealth watch expired; listing again");
          this.resourceVersion = undefined;
          continue;
        }
        if (isGone(error)) this.resourceVersion = undefined;
        this.failures += 1;
        const delayMs = this.backoff.next();
        this.logger.warn({ error: (error as Error).message, retryInMs: delayMs }, "networkhealth watch failed");
        await sleep(delayMs, signal);
      }
    }
    this.delivery.clear();
  }

  private async list(): Promise<void> {
    const { object, resourceVersion } = await this.api.listOne(this.name);
    this.lists += 1;
    this.resourceVersion = resourceVersion;
    this.delivery.saw(object?.metadata.resourceVersion);
    this.set(object);
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  /** One watch request; an ERROR event ends it with that Status as the error. */
  private async watchOnce(signal: AbortSignal): Promise<void> {
    const attempt = new AbortController();
    this.attempt = attempt;
    const stop = (): void => attempt.abort();
    signal.addEventListener("abort", stop, { once: true });
    let failure: Error | undefined;
    const onEvent = (event: NetworkHealthEvent): void => {
      if (failure) return;
      if (event.type === "ERROR") {
        failure = Object.assign(new Error(`watch error: ${event.object.message ?? event.object.reason ?? "unknown"}`), { code: event.object.code });
        return attempt.abort();
      }
      this.resourceVersion = event.object.metadata?.resourceVersion ?? this.resourceVersion;
      if (event.type === "BOOKMARK") return;
      this.delivery.saw(event.object.metadata?.resourceVersion);
      this.set(event.type === "DELETED" ? undefined : event.object);
    };
    const base = this.options.timeoutSeconds ?? WATCH_TIMEOUT_BASE_SECONDS;
    try {
      await this.api.watchOne(this.name, this.resourceVersion ?? "", onEvent, { signal: attempt.signal, timeoutSeconds: Math.round(base * (1 + Math.random())) });
    } finally {
      this.attempt = undefined;
      signal.removeEventListener("abort", stop);
    }
    if (failure) throw failure;
  }

  private set(object: NetworkHealth | undefined): void {
    this.object = object;
    for (const listener of this.listeners) listener(object);
  }
}
