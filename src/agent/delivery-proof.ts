/**
 * The proof that a watch is alive end to end: a write the agent made to its own object must come
 * back on the watch within a grace period. A watch can die silently (a middlebox drops the
 * connection without a reset, or stops forwarding while both ends stay open) and the agent would hear
 * nothing until the watch's own deadline; the agent's own writes are the one event it knows must come.
 */

/** The most a run of missed deliveries stretches the grace (30 s → 4 min). */
const MAX_GRACE_FACTOR = 8;

/** How many resourceVersions are remembered, so a write whose event came before its response still counts as delivered. */
const RECENT_VERSIONS = 16;

/** Waits for one expected resourceVersion at a time; calls `onMiss` when it does not come in time. */
export class DeliveryProof {
  private readonly recent: string[] = [];
  private awaited: { resourceVersion: string; timer: NodeJS.Timeout } | undefined;
  /** The grace's multiplier: doubled by each miss acted on, back to 1 by a write delivered in time. */
  private factor = 1;

  /**
   * @param baseGraceMs the grace while deliveries come in time
   * @param onMiss called when the expected version has not been seen within the grace; returns
   *   whether it restarted the watch (only then does the miss stretch the next grace)
   */
  constructor(private readonly baseGraceMs: number, private readonly onMiss: (resourceVersion: string, graceMs: number) => boolean) {}

  /** The current grace (ms). */
  get graceMs(): number {
    return this.baseGraceMs * this.factor;
  }

  /**
   * Expects `resourceVersion` — the answer to a write just made — within the grace; a newer
   * expectation replaces an older. Each miss doubles the grace (up to 8×) until a write comes back in
   * time: an apiserver so loaded that it delivers late must not be handed a new watch by every
   * agent at every write.
   */
  expect(resourceVersion: string): void {
    this.clear();
    if (this.recent.includes(resourceVersion)) {
      this.factor = 1;
      return;
    }
    const graceMs = this.graceMs;
    const timer = setTimeout(() => {
      this.awaited = undefined;
      if (this.onMiss(resourceVersion, graceMs)) this.factor = Math.min(this.factor * 2, MAX_GRACE_FACTOR);
    }, graceMs);
    timer.unref();
    this.awaited = { resourceVersion, timer };
  }

  /** Notes a version seen on the watch or in a list; settles an expectation it answers. */
  saw(resourceVersion: string | undefined): void {
    if (!resourceVersion) return;
    this.recent.push(resourceVersion);
    if (this.recent.length > RECENT_VERSIONS) this.recent.shift();
    if (this.awaited?.resourceVersion !== resourceVersion) return;
    this.clear();
    this.factor = 1;
  }

  /** Drops the expectation in flight (the watch stops). */
  clear(): void {
    if (this.awaited) clearTimeout(this.awaited.timer);
    this.awaited = undefined;
  }
}
