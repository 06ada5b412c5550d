/**
 * metav1.Condition bookkeeping: lastTransitionTime moves only when a condition's status flips,
 * so a steady node produces identical conditions pass after pass (and therefore no writes).
 */
import { CONDITION_TYPES, type Condition } from "../api/index.js";
import type { CheckResult } from "./findings.js";

/** A condition that changed status, reported as a transition (an Event). */
export interface ConditionTransition {
  type: string;
  from: Condition["status"] | "Absent";
  to: Condition["status"];
  reason: string;
  message: string;
}

/**
 * Merges desired check results into the previous conditions. Keeps the previous
 * lastTransitionTime when the status is unchanged; sets `now` when it flips or is new.
 * Conditions are returned in the contract's type order.
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  desired: readonly CheckResult[],
  now: string,
  generation: number | undefined,
): { conditions: Condition[]; transitions: ConditionTransition[] } {
  const byType = new Map((previous ?? []).map((condition) => [condition.type, condition]));
  const transitions: ConditionTransition[] = [];
  const conditions = desired.map((check): Condition => {
    const before = byType.get(check.type);
    const flipped = before?.status !== check.status;
    if (flipped) {
      transitions.push({ type: check.type, from: before?.status ?? "Absent", to: check.status, reason: check.reason, message: check.message });
    }
    const condition: Condition = {
      type: check.type,
      status: check.status,
      reason: check.reason,
      // message is required by the API and an empty string does not survive an apply: never send one.
      message: check.message || check.reason,
      lastTransitionTime: flipped ? now : (before?.lastTransitionTime ?? now),
    };
    if (generation !== undefined) condition.observedGeneration = generation;
    return condition;
  });
  const order = (type: string) => CONDITION_TYPES.indexOf(type as (typeof CONDITION_TYPES)[number]);
  return { conditions: conditions.sort((a, b) => order(a.type) - order(b.type)), transitions };
}
