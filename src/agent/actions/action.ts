/**
 * The contract every remediation action follows: idempotent (already in the desired state →
 * Skipped), verified by re-reading the state, all-or-nothing (a failure rolls back what it changed
 * and reports a clear Failed), and reversible (a Succeeded outcome carries its revert).
 */
import type { ActionResult, PlannedAction, ProbeTargets } from "../../api/index.js";
import type { HostExecutor } from "../host-executor.js";
import type { HostSnapshot } from "../facts.js";
import { InvalidParameterError } from "../validate.js";
import { ChangeJournal, type JournalSink } from "./journal.js";

/**
 * What an action may use: the host, fresh facts, the controller's targets, the clock, and where its
 * journal is checkpointed (the agent's order checkpoint; absent in tests of a single action).
 */
export interface ActionContext {
  host: HostExecutor;
  snapshot: HostSnapshot;
  targets: ProbeTargets;
  now: () => Date;
  journalSink?: JournalSink;
}

/** An action's outcome; `revert` undoes a Succeeded action (used by tests and for recovery). */
export interface ActionOutcome {
  result: ActionResult["result"];
  detail: string;
  revert?: () => Promise<void>;
}

/** The body of an action: makes its changes through the journal; returns Succeeded or Skipped. */
export type ActionBody = (action: PlannedAction, context: ActionContext, journal: ChangeJournal) => Promise<{ result: "Succeeded" | "Skipped"; detail: string }>;

/** An expected failure with a message meant for the ActionResult detail. */
export class ActionFailure extends Error {}

/**
 * Runs an action body. Any error rolls the journal back and becomes Failed with the reason (and
 * any undo that did not work, so a person knows what to check by hand).
 */
export async function runAction(body: ActionBody, action: PlannedAction, context: ActionContext): Promise<ActionOutcome> {
  const journal = new ChangeJournal(context.host, context.journalSink);
  try {
    const done = await body(action, context, journal);
    return { ...done, revert: journal.revertFunction() };
  } catch (error) {
    const expected = error instanceof ActionFailure || error instanceof InvalidParameterError;
    const reason = `${expected ? "" : "unexpected: "}${(error as Error).message}`;
    const changed = journal.changes.length;
    const failures = await journal.rollback();
    const rolledBack = changed === 0 ? "" : failures.length ? `; ROLLBACK INCOMPLETE: ${failures.join("; ")}` : `; rolled back ${changed} change(s)`;
    return { result: "Failed", detail: `${reason}${rolledBack}`.slice(0, 1000) };
  }
}

/** Throws ActionFailure when `check` is false after the changes (verification by re-reading). */
export function verify(check: boolean, what: string): void {
  if (!check) throw new ActionFailure(`verification failed: ${what}`);
}
