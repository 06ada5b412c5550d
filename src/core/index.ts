/**
 * The pure core: Observation → diagnosis → remediation decision → controller-owned status.
 * No Kubernetes clients, no node: I/O, no clock (enforced by ESLint in CI).
 */
export type * from "./observation.js";
export type * from "./findings.js";
export * from "./policy.js";
export { diagnose, diagnoseNode, type ClusterDiagnosis, type APIServiceFinding } from "./diagnose.js";
export { reconcileNode, clusterRemediationState, type NodeReconcileResult, type NodeReconcileInput } from "./reconcile.js";
export { mergeConditions, type ConditionTransition } from "./conditions.js";
export { advanceRemediation, describe as describeAction, type ReconcileEvent, type ClusterRemediationState } from "./remediation.js";
export { nodeMode, actionMode } from "./mode.js";
export { controllerStatusOf, sameControllerStatus, CONTROLLER_STATUS_FIELDS } from "./status-equality.js";
export * from "./views.js";
export * from "./evidence.js";
export * from "./observe.js";
export { TokenBucket } from "./token-bucket.js";
export { konnectivityLogNeeded } from "./checks-konnectivity.js";
export { encodeProbeTargets, decodeProbeTargets, storedProbeTargets, type DecodedProbeTargets } from "./probe-targets.js";
export { FIRST_STATUS_HOLD_SECONDS } from "./node-context.js";
export { verdictInputs, heartbeatCannotChangeVerdict } from "./heartbeat.js";
