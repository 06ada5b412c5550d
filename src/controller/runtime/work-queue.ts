/**
 * A deduplicating, rate-limited work queue of string keys (node names), after client-go's
 * workqueue: level-triggered — a key means "look at this node again", never "apply this event".
 * - A key waiting in the queue is held once, however often it is added.
 * - A key being processed that is added again is queued once more when `done` is called, so a
 *   change that lands during a reconcile is never lost, and one key is never processed twice at once.
 * - `addRateLimited` delays a key by its own capped exponential backoff with jitter (transient
 *   errors); `forget` resets it after a success.
 * The queue does not rate-limit: a steady reconcile makes no request, so what needs a limit is
 * the API traffic (ApiRateLimiter), not how often nodes are looked at.
 */
import { backoffDelayMs, type BackoffOptions } from "./backoff.js";

/** Tuning of a WorkQueue. */
export interface WorkQueueOptions {
  /** Per-key retry backoff. */
  backoff: BackoffOptions;
}

/** Default tuning: retries from 500 ms up to 2 min. */
export const DEFAULT_WORK_QUEUE_OPTIONS: WorkQueueOptions = { backoff: { baseMs: 500, capMs: 120_000 } };

/** The queue itself; one or more workers loop on `get` / `done`. */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  private waiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(private readonly options: WorkQueueOptions = DEFAULT_WORK_QUEUE_OPTIONS) {}

  /** Marks `key` as needing work; a no-op when it is already waiting or the queue is shut down. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.notify();
  }

  /** Adds `key` after `delayMs`; of several pending delays for one key the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.delayed.set(key, { timer, at });
  }

  /** Adds `key` after its next backoff delay (transient failure); returns that delay. */
  addRateLimited(key: string): number {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    const delay = backoffDelayMs(attempt, this.options.backoff);
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears `key`'s failure count (after a success or a terminal error). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** How many consecutive transient failures `key` has had. */
  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Keys waiting (not counting delayed or in-flight ones). */
  get length(): number {
    return this.queue.length;
  }

  /**
   * Waits for the next key and marks it in flight; resolves `undefined` once the queue is shut
   * down. Every key returned must be given back with `done`.
   */
  async get(): Promise<string | undefined> {
    for (;;) {
      if (this.shuttingDown) return undefined;
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
        continue;
      }
      const key = this.queue.shift() as string;
      this.dirty.delete(key);
      this.processing.add(key);
      return key;
    }
  }

  /** Ends the processing of `key`; requeues it when it was added meanwhile. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.queue.push(key);
      this.notify();
    }
  }

  /** Stops handing out keys: pending and delayed keys are dropped, waiting `get` calls resolve undefined. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
