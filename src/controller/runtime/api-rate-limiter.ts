/**
 * The controller's client-side API rate limit (client-go's QPS/burst): every request a reconcile
 * makes — NetworkHealth creates and status writes, pods/log reads, Events — waits for a token, so a
 * relist of thousands of Nodes cannot flood the apiserver. Reconciles that need no request (a
 * steady node) never wait. Waiters are served first come, first served.
 */
import { TokenBucket } from "../../core/index.js";

/** Requests per second after a burst. */
export interface ApiRate {
  qps: number;
  burst: number;
}

/** A FIFO token-bucket gate in front of API requests. */
export class ApiRateLimiter {
  private readonly bucket: TokenBucket;
  private readonly waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private waitedMs = 0;

  constructor(rate: ApiRate, private readonly now: () => number = Date.now) {
    this.bucket = new TokenBucket(rate.qps, rate.burst, now());
  }

  /** Resolves when this request may go (at once while the burst lasts). */
  acquire(): Promise<void> {
    if (this.waiters.length === 0 && this.bucket.take(this.now()) === 0) return Promise.resolve();
    const queuedAt = this.now();
    return new Promise<void>((resolve) => {
      this.waiters.push(() => {
        this.waitedMs += this.now() - queuedAt;
        resolve();
      });
      this.schedule();
    });
  }

  /** Changes the rate (config reload); queued requests are re-timed at the new rate. */
  setRate(rate: ApiRate): void {
    this.bucket.setRate(rate.qps, rate.burst, this.now());
    clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule();
  }

  /** Requests waiting for a token. */
  get queued(): number {
    return this.waiters.length;
  }

  /** Total time requests have spent waiting, in ms (for the throttling metric). */
  get totalWaitMs(): number {
    return this.waitedMs;
  }

  private schedule(): void {
    if (this.timer || this.waiters.length === 0) return;
    const waitMs = this.bucket.take(this.now());
    if (waitMs === 0) {
      this.waiters.shift()?.();
      // Serve the next waiter on a fresh tick, so one burst refill wakes them in order.
      this.timer = setTimeout(() => this.wake(), 0);
    } else {
      this.timer = setTimeout(() => this.wake(), waitMs);
    }
    this.timer.unref();
  }

  private wake(): void {
    this.timer = undefined;
    this.schedule();
  }
}
