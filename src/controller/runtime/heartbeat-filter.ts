/**
 * Ends heartbeat-only NetworkHealth updates at the watch event, before they reach the work queue:
 * at 5,000 nodes every agent heartbeat is an update the controller decodes, and reconciling each
 * one (observe, diagnose, compare) only to find nothing changed was the controller's steady cost.
 * Remembers a digest of each object's verdict inputs (core/heartbeat.ts), 28 bytes per node instead
 * of a copy of the object, and lets an update through unless it differs from the previous version
 * only by what a heartbeat moves while that cannot change the verdict. Level-triggered reconciles
 * stay: any other change is reconciled, and a report going stale is looked at when it falls due
 * (core's agentRelookSeconds) and by the resync.
 */
import { createHash } from "node:crypto";
import type { NetworkHealth } from "../../api/index.js";
import { heartbeatCannotChangeVerdict, verdictInputs } from "../../core/index.js";

/** Per-node digests of the last NetworkHealth version seen. */
export class HeartbeatFilter {
  private readonly digests = new Map<string, string>();

  /** Records `health`; true when this version is a heartbeat that needs no reconcile. */
  heartbeatOnly(health: NetworkHealth): boolean {
    const name = health.metadata.name ?? "";
    const digest = createHash("sha1").update(verdictInputs(health)).digest("base64");
    const previous = this.digests.get(name);
    this.digests.set(name, digest);
    return previous === digest && heartbeatCannotChangeVerdict(health);
  }

  /** Forgets a deleted object (a re-created one starts afresh). */
  forget(name: string): void {
    this.digests.delete(name);
  }
}
