/**
 * The remediation policy the cluster owner sets (ConfigMap netmedic-config, `remediation:`),
 * in the validated form `plan` consumes. Defaults live in DEFAULT_POLICY.
 */
import type { ActionName } from "../api/index.js";
import type { RemediationMode } from "../api/index.js";

/** Safety limits and modes for remediation. */
export interface RemediationPolicy {
  /** Cluster default mode; a node's spec.remediation overrides it, the opt-out annotation beats both. */
  mode: RemediationMode;
  /** Per-action mode; the stricter of this and the node's mode wins (Disabled > Observe > Auto). */
  actions: Partial<Record<ActionName, RemediationMode>>;
  /** At most this many nodes with an order Pending or Applying at once. */
  maxConcurrent: number;
  /** After a failed or unconfirmed order, wait this long before the next one on the same node. */
  cooldownSeconds: number;
  /** Orders per fault before the node is Blocked (a success resets the count). */
  maxAttempts: number;
  /** How long the agent has to execute an order and the facts to confirm it before it counts as failed. */
  orderTimeoutSeconds: number;
  /** Disruptive actions (service restarts) stop when this many nodes failed within the window. */
  breaker: { maxFailedNodes: number; windowSeconds: number };
  /** Agent reports older than this are Stale (by default 2.5 × agentHeartbeatSeconds: two heartbeats may be lost). */
  staleAfterSeconds: number;
  /** How often an agent with nothing new reports anyway (its --heartbeat; condition messages quote it). */
  agentHeartbeatSeconds: number;
}

/** The agents' default heartbeat: node-problem-detector's 5-minute force-sync. */
export const DEFAULT_AGENT_HEARTBEAT_SECONDS = 300;

/** The staleness limit that follows a heartbeat: 2.5 heartbeats, so one late and one lost report are not an alarm. */
export function staleAfterForHeartbeat(heartbeatSeconds: number): number {
  return Math.ceil(2.5 * heartbeatSeconds);
}

/** The documented defaults (README "Modes and safety knobs"). */
export const DEFAULT_POLICY: RemediationPolicy = {
  mode: "Auto",
  actions: {},
  maxConcurrent: 1,
  cooldownSeconds: 300,
  maxAttempts: 3,
  orderTimeoutSeconds: 120,
  breaker: { maxFailedNodes: 3, windowSeconds: 900 },
  staleAfterSeconds: staleAfterForHeartbeat(DEFAULT_AGENT_HEARTBEAT_SECONDS),
  agentHeartbeatSeconds: DEFAULT_AGENT_HEARTBEAT_SECONDS,
};
