/**
 * The pure core: Observation → diagnosis → remediation decision → controller-owned status.
 * No Kubernetes clients, no node: I/O, no clock (enforced by ESLint in CI).
 */
export type * from "./observation.js";
export type * from "./findings.js";
export * from "./policy.js";
export { diagnose, diagnoseNode } from "./diagnose.js";
export { reconcileNode, clusterRemediationState, otherRemediations, type NodeReconcileResult } from "./reconcile.js";
export { firstStatusHoldSecondsLeft } from "./node-context.js";
export { lastAgentHeartbeat, agentLeaseName, type AgentHeartbeat } from "./agent-heartbeat.js";
export { mergeConditions } from "./conditions.js";
export { describe as describeAction } from "./remediation.js";
export { controllerStatusOf, sameControllerStatus } from "./status-equality.js";
export * from "./views.js";
export * from "./evidence.js";
export * from "./observe.js";
export { TokenBucket } from "./token-bucket.js";
export { jitteredBackoffMs } from "./backoff.js";
export { isPlainRecord } from "./plain-record.js";
export { withoutEmpty } from "./without-empty.js";
export { namespacedName } from "./object-key.js";
export { konnectivityLogNeeded } from "./checks-konnectivity.js";
export { encodeProbeTargets, decodeProbeTargets, storedProbeTargets } from "./probe-targets.js";
export { verdictInputs, heartbeatCannotChangeVerdict, judgedReporting } from "./heartbeat.js";
