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
  /** Agent reports older than this are Stale. */
  staleAfterSeconds: number;
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
  staleAfterSeconds: 120,
};
