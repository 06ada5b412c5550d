/**
 * Capped, jittered exponential backoff for API and host errors: the agent never crash-loops and
 * many agents do not retry in lockstep after an apiserver outage. The formula is the core's
 * `jitteredBackoffMs`, the one the controller retries by too.
 */
import { jitteredBackoffMs } from "../core/backoff.js";

/** Backoff state: counts failures since the last success and asks the core formula for each delay. */
export class Backoff {
  private failures = 0;

  constructor(private readonly baseMs = 1000, private readonly capMs = 60_000, private readonly random: () => number = Math.random) {}

  /** The delay before the next attempt, and counts one more failure. */
  next(): number {
    const delay = jitteredBackoffMs(this.failures, this.baseMs, this.capMs, this.random());
    this.failures += 1;
    return delay;
  }

  /** Forgets past failures after a success. */
  reset(): void {
    this.failures = 0;
  }
}

/** Sleeps `ms`, waking early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
