/**
 * Which remediation work is due, from status.remediation (written by the controller) and the
 * agent's own status.agent.results. An action runs at most once per order: once it has a result
 * for that orderId it is done, also after an agent restart (results live in the API object).
 */
import { ACTION_ORDER, MAX_AGENT_RESULTS, type ActionResult, type PlannedAction, type RemediationStatus } from "../api/index.js";

/** The agent keeps at most this many results (the schema's maxItems of status.agent.results). */
export const MAX_RESULTS = MAX_AGENT_RESULTS;

/** An order ready to execute: its id and the actions still without a result, in execution order. */
export interface DueOrder {
  orderId: string;
  actions: PlannedAction[];
}

/**
 * The due part of the current order, or undefined. Only phases Pending/Applying carry an order to
 * execute; an order with a Failed result stops there (later actions could depend on it: the
 * firewall must be open before bridge netfilter, docs/architecture.md §8.3).
 */
export function dueOrder(remediation: RemediationStatus | undefined, results: readonly ActionResult[]): DueOrder | undefined {
  if (!remediation?.orderId || (remediation.phase !== "Pending" && remediation.phase !== "Applying")) return undefined;
  const { orderId } = remediation;
  const mine = results.filter((r) => r.orderId === orderId);
  if (mine.some((r) => r.result === "Failed")) return undefined;
  const seen = new Set<string>();
  const actions = (remediation.actions ?? [])
    .filter((a) => !mine.some((r) => r.action === a.action))
    .filter((a) => (seen.has(a.action) ? false : (seen.add(a.action), true)))
    .sort((a, b) => rank(a.action) - rank(b.action));
  return actions.length ? { orderId, actions } : undefined;
}

function rank(action: string): number {
  const index = (ACTION_ORDER as readonly string[]).indexOf(action);
  return index === -1 ? ACTION_ORDER.length : index;
}

/** Appends results, keeping the newest MAX_RESULTS. */
export function appendResult(results: readonly ActionResult[], result: ActionResult): ActionResult[] {
  return [...results, result].slice(-MAX_RESULTS);
}

/**
 * Records a result that supersedes the action's earlier one in the same order (a rollback after a
 * Succeeded): one result per order and action, so a reader never has to pick between two.
 */
export function replaceResult(results: readonly ActionResult[], result: ActionResult): ActionResult[] {
  return appendResult(results.filter((r) => r.orderId !== result.orderId || r.action !== result.action), result);
}
