/**
 * The agent's NetworkHealthStore in production: reads come from the watch (no request per round),
 * writes go to the API, and the loop can sleep until the object changes in a way it must act on —
 * an order is picked up as soon as its watch event arrives, not at the next interval.
 */
import type { Logger } from "pino";
import type { NetworkHealth, NetworkHealthStatus } from "../api/index.js";
import { sleep } from "./backoff.js";
import type { NetworkHealthStore } from "./agent-config.js";
import { NetworkHealthWatch, type NetworkHealthWatchApi, type NetworkHealthWatchOptions } from "./networkhealth-watch.js";

/** The API calls behind the store (AgentApiClient provides them). */
export interface WatchedStoreApi extends NetworkHealthWatchApi {
  applyStatus(name: string, status: NetworkHealthStatus): Promise<unknown>;
}

/** A NetworkHealthStore for one node backed by a watch of its NetworkHealth. */
export class WatchedNetworkHealthStore implements NetworkHealthStore {
  readonly watch: NetworkHealthWatch;
  private stopped: AbortSignal | undefined;

  constructor(private readonly api: WatchedStoreApi, name: string, logger: Logger, options: NetworkHealthWatchOptions = {}) {
    this.watch = new NetworkHealthWatch(api, name, logger, options);
  }

  /** The object as the watch last saw it; waits for the first list (or the stop). */
  get(): Promise<NetworkHealth | undefined> {
    return this.watch.current(this.stopped);
  }

  /** Server-side apply of the agent's status; the watch must then deliver the version written (expectDelivery). */
  async applyStatus(name: string, status: NetworkHealthStatus): Promise<unknown> {
    const written = await this.api.applyStatus(name, status);
    const resourceVersion = (written as Partial<NetworkHealth> | undefined)?.metadata?.resourceVersion;
    if (resourceVersion) this.watch.expectDelivery(resourceVersion);
    return written;
  }

  /** Keeps the watch running until `signal` aborts. */
  follow(signal: AbortSignal): Promise<void> {
    this.stopped = signal;
    return this.watch.run(signal);
  }

  /** Sleeps up to `ms`; resolves true at once, or as soon as a new version arrives, when the object satisfies `wanted`. */
  async waitForChange(ms: number, signal: AbortSignal, wanted: (object: NetworkHealth) => boolean): Promise<boolean> {
    // A version that arrived while the last round ran was delivered to nobody: look at it first.
    const latest = this.watch.peek();
    if (latest && wanted(latest)) return true;
    const woken = new AbortController();
    const unsubscribe = this.watch.onChange((object) => {
      if (object && wanted(object)) woken.abort();
    });
    const stop = (): void => woken.abort();
    signal.addEventListener("abort", stop, { once: true });
    try {
      await sleep(ms, woken.signal);
    } finally {
      unsubscribe();
      signal.removeEventListener("abort", stop);
    }
    return woken.signal.aborted && !signal.aborted;
  }
}
