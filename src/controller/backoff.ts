/**
 * Capped exponential backoff with jitter, shared by the work queue (per-key retries) and the
 * informer supervisor (watch restarts). Jitter keeps many keys or many replicas that failed at the
 * same instant (an apiserver restart) from retrying in lockstep.
 */

/** Shape of a backoff: first delay, ceiling, and the random source (injectable for tests). */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Returns a number in [0, 1); defaults to Math.random. */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (0 = first retry): min(cap, base·2^attempt), then "equal
 * jitter" — a uniform pick in [delay/2, delay) — so the delay still grows while retries spread out.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const delay = Math.min(options.capMs, options.baseMs * 2 ** exponent);
  return Math.round(delay / 2 + random() * (delay / 2));
}
