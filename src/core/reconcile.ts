/**
 * reconcileNode: the controller's whole decision for one node in one pure call —
 * diagnose → plan/advance the remediation → conditions → the complete controller-owned status,
 * whether it differs from what is stored, the events to emit, and when to look again.
 */
import { MAX_DIAGNOSIS_EVIDENCE, MAX_STATUS_HISTORY, ROLLBACK_CLEAR_ANNOTATION, type Condition, type HeldAction, type HistoryRecord, type NetworkHealthStatus, type ProbeTargets, type RemediationStatus } from "../api/index.js";
import type { NetworkHealth } from "../api/index.js";
import type { CheckResult, NodeDiagnosis } from "./findings.js";
import type { NodeView, Observation } from "./observation.js";
import type { RemediationPolicy } from "./policy.js";
import { diagnoseNode } from "./diagnose.js";
import { mergeConditions } from "./conditions.js";
import { nodeMode } from "./mode.js";
import { advanceRemediation, type ClusterRemediationState, type ReconcileEvent, type RemediationOutcome } from "./remediation.js";
import { agentRelookSeconds, firstReportSecondsLeft, firstStatusHoldSecondsLeft, secondsBetween } from "./node-context.js";
import { controllerStatusOf, sameControllerStatus } from "./status-equality.js";
import { nodeNamed } from "./node-lookup.js";
import { holdEvents, holdMessage, rollbackHolds, type RollbackHolds } from "./rollback-holds.js";

/** The outcome of reconciling one node. */
export interface NodeReconcileResult {
  /** The complete controller-owned status: observedGeneration, conditions, diagnosis, remediation, history. */
  status: NetworkHealthStatus;
  /** What the node's agent should probe (the NetworkHealth's annotation, not its status). */
  targets: ProbeTargets;
  /** Whether `status` differs from the stored controller-owned fields (write only then). */
  changed: boolean;
  /** Condition transitions and remediation steps, for Events on the NetworkHealth and the Node. */
  events: ReconcileEvent[];
  /** History records this pass appended (for metrics). */
  records: HistoryRecord[];
  /** Look again after this long even without a watch event. */
  requeueAfterSeconds?: number;
}

/**
 * Remediating from the remediation status. A held action outranks Idle/Failed/Blocked as the reason
 * (RolledBack), and its message says how to clear it; an order of other actions in flight stays the
 * reason, with the hold said after its message.
 */
function remediatingCheck(status: RemediationStatus, node: string, held: readonly HeldAction[]): CheckResult {
  const phase = status.phase ?? "Idle";
  const active = phase === "Pending" || phase === "Applying";
  const base = { type: "Remediating" as const, status: active ? "True" as const : "False" as const, evidence: [] };
  if (held.length === 0) return { ...base, reason: phase, message: status.message ?? "" };
  const hold = holdMessage(node, held);
  return active ? { ...base, reason: phase, message: `${status.message ?? ""}; ${hold}` } : { ...base, reason: "RolledBack", message: hold };
}

/**
 * The maxConcurrent / breaker counts over the OTHER nodes' remediation statuses (`others` is
 * called only when a count is needed). An order older than the order timeout is no longer in
 * flight: an order nobody will finish must never hold every other node back.
 */
export function clusterRemediationState(others: () => Array<RemediationStatus | undefined>, now: string, policy: RemediationPolicy): ClusterRemediationState {
  const inFlight = (r: RemediationStatus | undefined) => (r?.phase === "Pending" || r?.phase === "Applying")
    && (!r.lastAttemptTime || secondsBetween(r.lastAttemptTime, now) < policy.orderTimeoutSeconds);
  return {
    activeOrders: () => others().filter(inFlight).length,
    recentlyFailedNodes: () => others().filter((r) => r?.phase === "Failed" && r.lastAttemptTime
      && secondsBetween(r.lastAttemptTime, now) <= policy.breaker.windowSeconds).length,
  };
}

/**
 * The remediation statuses of the NetworkHealths of existing nodes other than `node`: what
 * maxConcurrent and the breaker count. An orphan (its Node gone) awaits the garbage collector and
 * counts for nothing. The one definition for the controller's caches and a whole-cluster Observation.
 */
export function otherRemediations(healths: Iterable<NetworkHealth>, node: string, exists: (name: string) => boolean): Array<RemediationStatus | undefined> {
  const others: Array<RemediationStatus | undefined> = [];
  for (const health of healths) {
    const name = health.metadata.name ?? "";
    if (name !== node && exists(name)) others.push(health.status?.remediation);
  }
  return others;
}

/** The counts from a whole-cluster Observation. */
function clusterState(observation: Observation, node: string, policy: RemediationPolicy): ClusterRemediationState {
  const others = () => {
    const existing = new Set(observation.nodes.map((n) => n.name));
    return otherRemediations(Object.values(observation.networkHealth), node, (name) => existing.has(name));
  };
  return clusterRemediationState(others, observation.now, policy);
}

/**
 * Events for condition transitions worth a line in `kubectl describe`: not a condition's first
 * appearance, and not Unknown → True (learning that a new node is fine is not news; on an install
 * or a scale-up it was most of the Events, one per condition per node, twice).
 */
function transitionEvents(transitions: ReturnType<typeof mergeConditions>["transitions"]): ReconcileEvent[] {
  return transitions
    .filter((t) => t.type !== "Remediating" && t.from !== "Absent" && !(t.from === "Unknown" && t.to === "True"))
    .map((t) => ({ type: t.to === "False" ? "Warning" : "Normal", reason: t.reason, message: `${t.type} ${t.from} → ${t.to}: ${t.message}` }));
}

/** What one reconcile decides from. */
export interface NodeReconcileInput {
  observation: Observation;
  node: string;
  policy: RemediationPolicy;
  /**
   * The other nodes' remediation counts. Default: computed from `observation.networkHealth`; a
   * caller observing only this node's NetworkHealth (the controller, at scale) supplies them.
   */
  cluster?: ClusterRemediationState;
  /**
   * The node's diagnosis, when the caller already made it from this same observation (the CLI
   * diagnoses the whole cluster first); default: diagnosed here.
   */
  diagnosis?: NodeDiagnosis;
}

/** The earlier of two optional requeue delays (a waiting first report must flip to NotRunning on time, a fresh one to stale). */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

/**
 * The node's remediation advanced one step with its rollback holds: the holds derived from the
 * previous status, the agent's results and the clear annotation; a held action is never ordered,
 * the status lists the holds and each new hold is announced by an event.
 */
function advanceHeld(input: NodeReconcileInput, diagnosis: NodeDiagnosis, nodeView: NodeView): { holds: RollbackHolds; remediation: RemediationOutcome } {
  const { observation, node, policy } = input;
  const health = observation.networkHealth[node];
  const previous = health?.status;
  const holds = rollbackHolds(previous?.remediation?.held, previous?.agent?.results ?? [], health?.metadata.annotations?.[ROLLBACK_CLEAR_ANNOTATION]);
  const advanced = advanceRemediation({
    node: nodeView,
    now: observation.now,
    diagnosis,
    previous: previous?.remediation,
    results: previous?.agent?.results ?? [],
    factsCollectedAt: previous?.facts?.collectedAt,
    mode: nodeMode(nodeView, health?.spec?.remediation, policy),
    policy,
    cluster: input.cluster ?? clusterState(observation, node, policy),
    held: holds.held,
  });
  return { holds, remediation: { ...advanced, status: { ...advanced.status, held: holds.held }, events: [...holdEvents(node, holds), ...advanced.events] } };
}

/** Reconciles one node; a node absent from the observation yields an unchanged, empty result. */
export function reconcileNode(input: NodeReconcileInput): NodeReconcileResult {
  const { observation, node, policy } = input;
  const health = observation.networkHealth[node];
  const previous = health?.status;
  const diagnosis = input.diagnosis ?? diagnoseNode(observation, node, policy.staleAfterSeconds, policy.agentHeartbeatSeconds);
  const nodeView = nodeNamed(observation, node);
  if (!diagnosis || !nodeView) return { status: controllerStatusOf(previous), targets: {}, changed: false, events: [], records: [] };
  const { holds, remediation } = advanceHeld(input, diagnosis, nodeView);
  const generation = health?.metadata.generation;
  const checks = [diagnosis.ready, ...Object.values(diagnosis.checks), remediatingCheck(remediation.status, node, holds.held)];
  const { conditions, transitions } = mergeConditions(previous?.conditions as Condition[] | undefined, checks, observation.now, generation);
  const status: NetworkHealthStatus = {
    observedGeneration: generation,
    conditions,
    // rootCause is left out when healthy rather than written as "": this build of kube-apiserver (v1.20.2
    // from Debian's source package) turns an applied "" in a custom resource into null, which the schema
    // (type: string) then rejects with 422 — every write of a healed node would fail (found by test/e2e/k0s).
    diagnosis: { summary: diagnosis.summary, ...(diagnosis.rootCause ? { rootCause: diagnosis.rootCause } : {}), evidence: diagnosis.evidence.slice(0, MAX_DIAGNOSIS_EVIDENCE), affects: diagnosis.affects },
    remediation: remediation.status,
    history: [...(previous?.history ?? []), ...remediation.records].slice(-MAX_STATUS_HISTORY),
  };
  const normalized = controllerStatusOf(status);
  const hold = firstStatusHoldSecondsLeft(health, observation.now, policy.staleAfterSeconds);
  if (hold !== undefined && remediation.records.length === 0) {
    return { status: normalized, targets: diagnosis.targets, changed: false, events: [], records: [], requeueAfterSeconds: hold };
  }
  return {
    status: normalized,
    targets: diagnosis.targets,
    changed: !sameControllerStatus(previous, normalized),
    events: [...transitionEvents(transitions), ...remediation.events],
    records: remediation.records,
    requeueAfterSeconds: [
      firstReportSecondsLeft(health, observation.now, policy.staleAfterSeconds),
      agentRelookSeconds(health, observation.now, policy.staleAfterSeconds, observation.agentLeaseRenewTimes?.[node]),
    ].reduce(earliest, remediation.requeueAfterSeconds),
  };
}
