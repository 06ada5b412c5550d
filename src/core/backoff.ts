/**
 * The one backoff formula: capped exponential growth with "equal jitter". The controller's work
 * queue and informer supervisor and the agent's loop and watch all retry by it. Jitter keeps many
 * keys, replicas or agents that failed at the same instant (an apiserver restart) from retrying in
 * lockstep. Pure: the random draw is passed in, so each caller chooses its source.
 */

/**
 * The delay before retry number `attempt` (0 = first retry): min(cap, base·2^attempt), then a pick
 * in [delay/2, delay] by `random` (a number in [0, 1)), so the delay still grows while retries spread
 * out. Negative attempts count as 0; the exponent stops at 30.
 */
export function jitteredBackoffMs(attempt: number, baseMs: number, capMs: number, random: number): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const delay = Math.min(capMs, baseMs * 2 ** exponent);
  return Math.round(delay / 2 + random * (delay / 2));
}
