/**
 * When the agent renews its heartbeat Lease (k8s/light/agent-lease.ts) and whether the Lease is
 * doing the heartbeat's job. The controller judges liveness by the later of the last report and the
 * Lease's renewTime, so while the Lease works a NetworkHealth is written only when a report's content
 * changes — every NetworkHealth write is sent to every agent's watch (docs/architecture.md §2).
 *
 * A Lease that cannot be written for good (403: the Role is missing; 404: the namespace is — an
 * older deploy/) puts the agent back on the NetworkHealth status heartbeat, warned once, and is
 * tried again every heartbeat. Other failures (timeouts, 5xx) are retried every round; the Lease
 * still counts as working until two heartbeats passed without a renewal, which is before the
 * controller's staleness limit (2.5 heartbeats), so a brief apiserver hiccup does not bring back
 * the fleet's NetworkHealth heartbeats exactly when the apiserver is loaded.
 */
import type { Logger } from "pino";
import { hasCode } from "../k8s/light/rest-client.js";

/** Renews the Lease of `node` (AgentLeaseClient in production). */
export interface LeaseRenewer {
  renew(node: string, leaseDurationSeconds: number, now: Date): Promise<unknown>;
}

/** Settings of one node's Lease heartbeat. */
export interface LeaseHeartbeatOptions {
  node: string;
  heartbeatMs: number;
  /** spec.leaseDurationSeconds: the controller's staleness limit for this heartbeat. */
  leaseDurationSeconds: number;
  logger: Logger;
}

/** "unknown" before the first answer; "fallback" after a 403/404 (NetworkHealth heartbeats instead). */
export type LeaseState = "unknown" | "working" | "fallback";

/** One node's Lease heartbeat: `round` renews when due, `working` tells the report gate. */
export class LeaseHeartbeat {
  private state: LeaseState = "unknown";
  private lastSuccessMs = Number.NEGATIVE_INFINITY;
  private lastAttemptMs = Number.NEGATIVE_INFINITY;
  private lastWarnMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly renewer: LeaseRenewer, private readonly options: LeaseHeartbeatOptions) {}

  /** The current state (for tests and logs). */
  get current(): LeaseState {
    return this.state;
  }

  /** Whether the Lease proves liveness at `nowMs`, so a NetworkHealth write only to heartbeat is not needed. */
  working(nowMs: number): boolean {
    return this.state === "working" && nowMs - this.lastSuccessMs < 2 * this.options.heartbeatMs;
  }

  /** Whether a renewal is due at `nowMs`: at once at start, a heartbeat after the last success (or, in fallback, the last attempt), every round after other failures. */
  due(nowMs: number): boolean {
    const since = this.state === "fallback" ? Math.max(this.lastAttemptMs, this.lastSuccessMs) : this.lastSuccessMs;
    return nowMs - since >= this.options.heartbeatMs || (this.state !== "fallback" && this.lastAttemptMs > this.lastSuccessMs);
  }

  /** Renews the Lease when due. Never throws: a failure only changes the state and is logged. */
  async round(now: Date): Promise<void> {
    const nowMs = now.getTime();
    if (!this.due(nowMs)) return;
    this.lastAttemptMs = nowMs;
    const { node, leaseDurationSeconds, logger } = this.options;
    try {
      await this.renewer.renew(node, leaseDurationSeconds, now);
    } catch (error) {
      return this.failed(error, nowMs);
    }
    if (this.state === "fallback") logger.info({ node }, "heartbeat Lease renewed again; NetworkHealth status is written only when the report changes");
    else logger.debug({ node }, "heartbeat Lease renewed");
    this.state = "working";
    this.lastSuccessMs = nowMs;
    this.lastWarnMs = Number.NEGATIVE_INFINITY;
  }

  private failed(error: unknown, nowMs: number): void {
    const fields = { node: this.options.node, error: (error as Error).message, code: (error as { code?: unknown }).code };
    if (hasCode(error, 403) || hasCode(error, 404)) {
      if (this.state !== "fallback") this.options.logger.warn(fields, "heartbeat Lease cannot be written; heartbeating through NetworkHealth status instead");
      this.state = "fallback";
      return;
    }
    // Retried every round: warn at most once a heartbeat, the rest at debug.
    if (nowMs - this.lastWarnMs >= this.options.heartbeatMs) {
      this.lastWarnMs = nowMs;
      this.options.logger.warn(fields, "heartbeat Lease renewal failed; retrying next round");
    } else {
      this.options.logger.debug(fields, "heartbeat Lease renewal failed; retrying next round");
    }
  }
}
