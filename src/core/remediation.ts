/**
 * The remediation order lifecycle, as a pure state machine over status.remediation:
 *   Idle/Succeeded/Failed/Blocked --(fixes, policy allows)--> Pending --(agent results)--> Applying
 *   --(all results + fresh facts confirm)--> Succeeded | --(a failure or the order timeout)--> Failed.
 * All state lives in the API object (attempts, lastAttemptTime, orderId), so a restarted controller
 * continues exactly where the last one stopped.
 */
import { ACTION_ORDER, DISRUPTIVE_ACTIONS } from "../api/index.js";
import type { ActionResult, HeldAction, HistoryRecord, PlannedAction, RemediationMode, RemediationStatus } from "../api/index.js";
import type { NodeDiagnosis } from "./findings.js";
import type { NodeView } from "./observation.js";
import type { RemediationPolicy } from "./policy.js";
import { actionMode } from "./mode.js";
import { secondsBetween } from "./node-context.js";
import { confirmOrder } from "./confirm.js";
import { holdMessage, withheldActions } from "./rollback-holds.js";

/** An Event to emit on the NetworkHealth and the Node. */
export interface ReconcileEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** Cluster-wide counts the gates need; functions so they are computed only when a gate is reached. */
export interface ClusterRemediationState {
  /** Other nodes with an order Pending or Applying. */
  activeOrders(): number;
  /** Other nodes whose last order failed within the breaker window. */
  recentlyFailedNodes(): number;
}

/** Everything one step of the lifecycle reads. */
export interface RemediationInput {
  node: NodeView;
  now: string;
  diagnosis: NodeDiagnosis;
  previous?: RemediationStatus;
  results: ActionResult[];
  factsCollectedAt?: string;
  mode: { mode: RemediationMode; source: string };
  policy: RemediationPolicy;
  cluster: ClusterRemediationState;
  /** Actions not to order on this node: rolled back by its dead-man switch and not cleared (core/rollback-holds.ts). */
  held?: readonly HeldAction[];
}

/** The next remediation status, history records to append, events, and when to look again. */
export interface RemediationOutcome {
  status: RemediationStatus;
  records: HistoryRecord[];
  events: ReconcileEvent[];
  requeueAfterSeconds?: number;
}

const names = (actions: PlannedAction[]) => actions.map((a) => a.action).join(", ");

/** Advances the node's remediation by one step. */
export function advanceRemediation(input: RemediationInput): RemediationOutcome {
  const previous = input.previous ?? { phase: "Idle", attempts: 0 };
  if ((previous.phase === "Pending" || previous.phase === "Applying") && previous.orderId) {
    return input.mode.mode === "Auto" ? followOrder(input, previous) : withdrawOrder(input, previous);
  }
  return decide(input, previous);
}

function finished(input: RemediationInput, previous: RemediationStatus, phase: "Succeeded" | "Failed", detail: string, records: HistoryRecord[]): RemediationOutcome {
  const status: RemediationStatus = { ...previous, phase, message: detail };
  const event: ReconcileEvent = { type: phase === "Succeeded" ? "Normal" : "Warning", reason: phase, message: `order ${previous.orderId}: ${detail}` };
  const requeueAfterSeconds = phase === "Failed" ? input.policy.cooldownSeconds : undefined;
  return { status, records, events: [event], requeueAfterSeconds };
}

function followOrder(input: RemediationInput, order: RemediationStatus): RemediationOutcome {
  const actions = order.actions ?? [];
  const results = input.results.filter((r) => r.orderId === order.orderId);
  const records = results.map((r): HistoryRecord => ({ time: r.time, action: r.action, result: r.result, detail: r.detail ?? "" }));
  const elapsed = secondsBetween(order.lastAttemptTime ?? input.now, input.now);
  const remaining = Math.max(1, input.policy.orderTimeoutSeconds - elapsed);
  const failed = results.find((r) => r.result === "Failed");
  if (failed) return finished(input, order, "Failed", `${failed.action} failed: ${failed.detail ?? ""}`, records);
  const done = actions.every((a) => results.some((r) => r.action === a.action));
  if (done) {
    const lastResult = results.map((r) => r.time).sort().at(-1) ?? input.now;
    const unconfirmed = confirmOrder(actions, input.diagnosis, input.node, input.factsCollectedAt, lastResult);
    if (!unconfirmed) return finished(input, order, "Succeeded", `${names(actions)} applied and confirmed by fresh facts`, records);
    if (remaining <= 1) return finished(input, order, "Failed", `applied but not confirmed within ${input.policy.orderTimeoutSeconds}s: ${unconfirmed}`, records);
    const status: RemediationStatus = { ...order, phase: "Applying", message: `applied; waiting for fresh facts to confirm (${unconfirmed})` };
    return { status, records: [], events: [], requeueAfterSeconds: Math.min(5, remaining) };
  }
  if (remaining <= 1) {
    const timeout = actions.filter((a) => !results.some((r) => r.action === a.action))
      .map((a): HistoryRecord => ({ time: input.now, action: a.action, result: "Failed", detail: "not executed by the agent in time" }));
    return finished(input, order, "Failed", `the agent did not execute the order within ${input.policy.orderTimeoutSeconds}s`, [...records, ...timeout]);
  }
  const phase = results.length > 0 ? "Applying" : "Pending";
  const message = results.length > 0 ? `${results.length}/${actions.length} actions done` : order.message;
  return { status: { ...order, phase, message }, records: [], events: [], requeueAfterSeconds: Math.min(10, remaining) };
}

function withdrawOrder(input: RemediationInput, order: RemediationStatus): RemediationOutcome {
  const message = `order ${order.orderId} withdrawn: remediation is now ${input.mode.mode} (${input.mode.source})`;
  const status: RemediationStatus = { ...order, phase: "Idle", mode: input.mode.mode, actions: [], message };
  return { status, records: [], events: [{ type: "Normal", reason: "Idle", message }] };
}

/** The hold's message, and which needed actions wait for a held one. */
function withheldMessage(input: RemediationInput, withheld: ReadonlyMap<string, string | undefined>): string {
  const waiting = input.diagnosis.fixes.flatMap((fix) => (withheld.get(fix.action) ? [`${fix.action} waits for ${withheld.get(fix.action)}`] : []));
  return [holdMessage(input.node.name, input.held ?? []), ...waiting].join("; ");
}

function decide(input: RemediationInput, previous: RemediationStatus): RemediationOutcome {
  const { diagnosis, policy, now, mode } = input;
  const cooledDown = !previous.lastAttemptTime || secondsBetween(previous.lastAttemptTime, now) >= policy.cooldownSeconds;
  const attempts = diagnosis.fixes.length === 0 && cooledDown ? 0 : (previous.attempts ?? 0);
  const base: RemediationStatus = { ...previous, mode: mode.mode, attempts, actions: [], proposed: [] };
  const withheld = withheldActions(input.held ?? []);
  const fixes = diagnosis.fixes.filter((fix) => !withheld.has(fix.action));
  if (fixes.length === 0 && diagnosis.fixes.length > 0) {
    // No Event here: the hold's own RolledBack Event, once, already said why and how to clear it.
    return { status: { ...base, phase: "Blocked", message: withheldMessage(input, withheld) }, records: [], events: [] };
  }
  if (diagnosis.fixes.length === 0) {
    const phase = previous.phase === "Succeeded" ? "Succeeded" : "Idle";
    const message = diagnosis.noFixReason ?? (phase === "Succeeded" ? previous.message : "nothing to remediate");
    return { status: { ...base, phase, message }, records: [], events: [] };
  }
  const byMode = (wanted: RemediationMode) => fixes.filter((f) => actionMode(f.action, mode.mode, policy) === wanted);
  const auto = byMode("Auto");
  const observe = byMode("Observe");
  if (auto.length === 0) {
    const message = observe.length > 0
      ? `Observe mode (${mode.source}): would run ${observe.map(describe).join("; ")}`
      : `remediation disabled (${mode.source}); needed: ${names(diagnosis.fixes)}`;
    return { status: { ...base, phase: "Idle", proposed: observe, message }, records: [], events: [] };
  }
  return gate(input, { ...base, proposed: observe }, auto, cooledDown);
}

function blocked(status: RemediationStatus, message: string, previousPhase: string | undefined, requeueAfterSeconds?: number): RemediationOutcome {
  const events: ReconcileEvent[] = previousPhase === "Blocked" && status.message === message ? [] : [{ type: "Warning", reason: "Blocked", message }];
  return { status: { ...status, phase: "Blocked", message }, records: [], events, requeueAfterSeconds };
}

function gate(input: RemediationInput, base: RemediationStatus, auto: PlannedAction[], cooledDown: boolean): RemediationOutcome {
  const { policy, now } = input;
  const previousPhase = input.previous?.phase;
  const attempts = base.attempts ?? 0;
  if (attempts >= policy.maxAttempts) {
    return blocked(base, `gave up after ${attempts} orders (maxAttempts=${policy.maxAttempts}) for ${names(auto)}: fix by hand; netmedic resumes once the node is healthy`, previousPhase);
  }
  if (attempts > 0 && !cooledDown) {
    const wait = Math.ceil(policy.cooldownSeconds - secondsBetween(base.lastAttemptTime ?? now, now));
    const phase = previousPhase === "Failed" || previousPhase === "Succeeded" ? previousPhase : "Blocked";
    return { status: { ...base, phase, message: `cooldown: next attempt in ${wait}s at the earliest` }, records: [], events: [], requeueAfterSeconds: wait };
  }
  let allowed = auto;
  if (auto.some((a) => DISRUPTIVE_ACTIONS.has(a.action)) && input.cluster.recentlyFailedNodes() >= policy.breaker.maxFailedNodes) {
    allowed = auto.filter((a) => !DISRUPTIVE_ACTIONS.has(a.action));
    if (allowed.length === 0) {
      const message = `circuit breaker open: ${policy.breaker.maxFailedNodes}+ nodes failed remediation within ${policy.breaker.windowSeconds}s; disruptive actions paused`;
      return blocked(base, message, previousPhase, 30);
    }
  }
  const active = input.cluster.activeOrders();
  if (active >= policy.maxConcurrent) {
    return blocked(base, `waiting: ${active} node(s) already remediating (maxConcurrent=${policy.maxConcurrent})`, previousPhase, 10);
  }
  return issueOrder(input, base, allowed);
}

function issueOrder(input: RemediationInput, base: RemediationStatus, actions: PlannedAction[]): RemediationOutcome {
  const sorted = [...actions].sort((a, b) => ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action));
  const orderId = `${input.node.name}-${input.now.replace(/[-:.]/g, "")}`;
  const message = `order ${orderId}: ${sorted.map(describe).join("; ")}`;
  const status: RemediationStatus = {
    ...base, phase: "Pending", orderId, actions: sorted, attempts: (base.attempts ?? 0) + 1, lastAttemptTime: input.now, message,
  };
  return { status, records: [], events: [{ type: "Normal", reason: "Pending", message }], requeueAfterSeconds: input.policy.orderTimeoutSeconds };
}

/** An action with its parameters, as people read it. */
export function describe(action: PlannedAction): string {
  // Sorted, so the same action reads the same however its object was built or round-tripped.
  const params = Object.entries(action).filter(([key]) => key !== "action" && key !== "reason")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => `${key}=${String(value)}`);
  return params.length ? `${action.action}(${params.join(", ")})` : action.action;
}
