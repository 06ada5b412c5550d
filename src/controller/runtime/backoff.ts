/**
 * Backoff for the work queue (per-key retries) and the informer supervisor (watch restarts): the
 * core formula (`jitteredBackoffMs`) with Math.random as the default jitter source.
 */
import { jitteredBackoffMs } from "../../core/backoff.js";

/** Shape of a backoff: first delay, ceiling, and the random source (injectable for tests). */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Returns a number in [0, 1); defaults to Math.random. */
  random?: () => number;
}

/** The delay before retry number `attempt` (0 = first retry), by `jitteredBackoffMs`. */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  return jitteredBackoffMs(attempt, options.baseMs, options.capMs, random());
}
