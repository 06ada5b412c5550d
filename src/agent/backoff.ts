/**
 * Capped, jittered exponential backoff for API and host errors: the agent never crash-loops and
 * many agents do not retry in lockstep after an apiserver outage.
 */

/** Backoff state: base·2^n, capped, with "equal jitter" (half fixed, half random). */
export class Backoff {
  private failures = 0;

  constructor(private readonly baseMs = 1000, private readonly capMs = 60_000, private readonly random: () => number = Math.random) {}

  /** The delay before the next attempt, and counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
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
