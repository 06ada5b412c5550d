/**
 * Holds after a rollback: an action the node's dead-man switch undid (an agent result Failed with
 * reason RolledBack) cut the node off or could not be confirmed, and ordering it again would most
 * likely cut the node off again. So the controller stops ordering it on that node until a person
 * clears it with the NetworkHealth annotation netmedic.io/clear-rollback=<orderId>.
 *
 * Level-triggered: the holds live in status.remediation.held (controller-owned) and are derived each
 * pass from that list, the agent's results and the annotation, so a restarted controller holds
 * exactly what the last one held. The annotation clears the holds of its order and of every earlier
 * one (orderIds end in their issue time): a person clears with one value, and an older RolledBack
 * result still in the agent's results can never come back as a hold once cleared.
 */
import { ACTION_ORDER, ROLLBACK_CLEAR_ANNOTATION, type ActionResult, type HeldAction } from "../api/index.js";
import type { ReconcileEvent } from "./remediation.js";

/** The issue time at the end of an orderId (`<node>-20261204T135316123Z`, core/remediation.ts), or undefined. */
export function orderStamp(orderId: string): string | undefined {
  return /-(\d{8}T\d{6,9}Z)$/.exec(orderId)?.[1];
}

/** Whether the clearing value covers `orderId`: same stamp format, issued no later. */
function clearedBy(clearedThrough: string | undefined, orderId: string): boolean {
  const through = clearedThrough === undefined ? undefined : orderStamp(clearedThrough.trim());
  const stamp = orderStamp(orderId);
  return through !== undefined && stamp !== undefined && stamp.length === through.length && stamp <= through;
}

/** The holds after this pass, and what changed (each change is one Event, on the transition only). */
export interface RollbackHolds {
  held: HeldAction[];
  added: HeldAction[];
  cleared: HeldAction[];
}

const newer = (a: HeldAction, b: HeldAction) => (orderStamp(a.orderId) ?? "") > (orderStamp(b.orderId) ?? "");

/**
 * The holds of one node: the previous holds plus every RolledBack result not yet held, minus those
 * `clearedThrough` (the annotation's value) covers; one hold per action, the newest rollback's.
 */
export function rollbackHolds(previous: readonly HeldAction[] | undefined, results: readonly ActionResult[], clearedThrough: string | undefined): RollbackHolds {
  const byAction = new Map<string, HeldAction>();
  for (const hold of previous ?? []) byAction.set(hold.action, hold);
  const known = new Set((previous ?? []).map((hold) => `${hold.orderId}/${hold.action}`));
  for (const result of results) {
    if (result.result !== "Failed" || result.reason !== "RolledBack" || known.has(`${result.orderId}/${result.action}`)) continue;
    const hold: HeldAction = { action: result.action, orderId: result.orderId, time: result.time, ...(result.detail ? { detail: result.detail } : {}) };
    const current = byAction.get(hold.action);
    if (!current || newer(hold, current)) byAction.set(hold.action, hold);
  }
  const all = [...byAction.values()].sort((a, b) => ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action));
  const held = all.filter((hold) => !clearedBy(clearedThrough, hold.orderId));
  return {
    held,
    added: held.filter((hold) => !known.has(`${hold.orderId}/${hold.action}`)),
    cleared: (previous ?? []).filter((hold) => clearedBy(clearedThrough, hold.orderId)),
  };
}

/**
 * Actions that must not run while one of theirs is held back: bridge netfilter sends bridged pod
 * traffic through the host firewall, so with the firewall not opened for pods (its opening held),
 * enabling it would break same-node pod-to-pod traffic (docs/architecture.md §8.3, ordering hazard).
 */
const PREREQUISITES: Readonly<Record<string, readonly string[]>> = {
  EnableBridgeNetfilter: ["OpenHostFirewall", "OpenUfw"],
};

/**
 * The actions that must not be ordered on a node holding `held`: the held ones, and each action
 * whose prerequisite is held, mapped to that prerequisite (why it waits).
 */
export function withheldActions(held: readonly HeldAction[]): Map<string, string | undefined> {
  const withheld = new Map<string, string | undefined>(held.map((hold) => [hold.action, undefined]));
  for (const [action, needs] of Object.entries(PREREQUISITES)) {
    const blocker = needs.find((need) => withheld.has(need) && withheld.get(need) === undefined);
    if (blocker && !withheld.has(action)) withheld.set(action, blocker);
  }
  return withheld;
}

/** The newest orderId among `held`: the one value that clears them all. */
function newestOrder(held: readonly HeldAction[]): string {
  return held.reduce((best, hold) => (newer(hold, best) ? hold : best)).orderId;
}

/** The command that clears every hold of `node` (held must not be empty). */
export function clearCommand(node: string, held: readonly HeldAction[]): string {
  return `kubectl annotate networkhealth ${node} ${ROLLBACK_CLEAR_ANNOTATION}=${newestOrder(held)} --overwrite`;
}

/** What the holds say in the Remediating condition and the remediation message (held must not be empty). */
export function holdMessage(node: string, held: readonly HeldAction[]): string {
  const what = held.map((hold) => `${hold.action} (order ${hold.orderId})`).join(", ");
  return `held after the dead-man switch rolled it back: ${what}; netmedic will not order it on this node again until cleared: ${clearCommand(node, held)}`;
}

/** One Warning per new hold and one Normal per cleared hold. */
export function holdEvents(node: string, holds: RollbackHolds): ReconcileEvent[] {
  const added = holds.added.map((hold): ReconcileEvent => ({
    type: "Warning", reason: "RolledBack",
    message: `${hold.action} was rolled back by the node's dead-man switch (order ${hold.orderId}${hold.detail ? `: ${hold.detail}` : ""}); `
      + `netmedic will not order it on this node again until cleared: ${clearCommand(node, [hold])}`,
  }));
  const cleared = holds.cleared.map((hold): ReconcileEvent => ({
    type: "Normal", reason: "RollbackCleared", message: `${hold.action} may be ordered again: ${ROLLBACK_CLEAR_ANNOTATION} covers order ${hold.orderId}`,
  }));
  return [...added, ...cleared];
}
