/**
 * A token bucket with the clock passed in (so it stays pure): `ratePerSecond` tokens refill up to
 * `burst`. Shared by the probe's request limit and the controller's client-side API rate limit.
 */
export class TokenBucket {
  private tokens: number;

  constructor(private ratePerSecond: number, private burst: number, private last: number) {
    this.tokens = burst;
  }

  /** Takes one token at `nowMs` and returns 0, or returns how many ms until one is available (nothing taken). */
  take(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }

  /** Changes rate and burst from `nowMs` on; tokens already saved are kept up to the new burst. */
  setRate(ratePerSecond: number, burst: number, nowMs: number): void {
    this.refill(nowMs);
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.tokens = Math.min(this.tokens, burst);
  }

  private refill(nowMs: number): void {
    // A clock that steps back must not mint or destroy tokens.
    const elapsed = Math.max(0, nowMs - this.last);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.last = Math.max(this.last, nowMs);
  }
}
