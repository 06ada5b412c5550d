/**
 * A journal of the host changes one action made, each with its undo. On a failure the action rolls
 * back everything it changed (newest first), so nothing is left half-written; on success the same
 * undos make the action's revert.
 *
 * Undos are data (UndoStep) so that the journal can be checkpointed on the host: a sink, when given,
 * receives every entry the moment it is recorded (and the empty list after a rollback) and writes it
 * durably before `record` returns — so a change is on disk before the action makes its next one, and
 * an agent that dies between changes leaves a journal a restarted agent can undo
 * (docs/architecture.md §4 "Checkpoint and dead-man switch"). A closure undo is still accepted for
 * compatibility; it works in-process only, and a restarted agent reports it as not undoable.
 */
import type { HostExecutor } from "../host-executor.js";
import { performUndo, type UndoStep } from "./undo-steps.js";

/** One change as persisted: what was done and the steps that undo it (absent: in-process undo only). */
export interface JournalEntry {
  what: string;
  undo?: UndoStep[];
}

/** Receives the journal's entries after every change to them; throws when it cannot persist them. */
export type JournalSink = (entries: readonly JournalEntry[]) => void;

/** One change and how to undo it. */
interface Entry {
  what: string;
  steps?: UndoStep[];
  closure?: () => Promise<void>;
}

/** Runs persisted entries' undos newest first; returns the undos that failed (empty when all worked). */
export async function undoEntries(host: HostExecutor, entries: readonly JournalEntry[]): Promise<string[]> {
  const journal = new ChangeJournal(host);
  for (const e of entries) journal.record(e.what, e.undo ?? []);
  // An entry persisted without steps had an in-process undo only: nobody can undo it now.
  const lost = entries.filter((e) => !e.undo).map((e) => `${e.what}: no persisted undo, check by hand`);
  return [...lost, ...(await journal.rollback())];
}

/** Changes made so far by one action execution. */
export class ChangeJournal {
  private readonly entries: Entry[] = [];

  constructor(private readonly host?: HostExecutor, private readonly sink?: JournalSink) {}

  /** Records a change that has just been made; with a sink, returns only once it is persisted. */
  record(what: string, undo: UndoStep | UndoStep[] | (() => Promise<void>)): void {
    this.entries.push(ChangeJournal.entry(what, undo));
    this.persist();
  }

  /** Records a change whose undo must run after every other undo (e.g. a restart on restored files). */
  recordLast(what: string, undo: UndoStep | UndoStep[] | (() => Promise<void>)): void {
    this.entries.unshift(ChangeJournal.entry(what, undo));
    this.persist();
  }

  private static entry(what: string, undo: UndoStep | UndoStep[] | (() => Promise<void>)): Entry {
    if (typeof undo === "function") return { what, closure: undo };
    return { what, steps: Array.isArray(undo) ? undo : [undo] };
  }

  private persist(): void {
    this.sink?.(this.persisted);
  }

  /** The entries as persisted, in journal order (undo runs newest first). */
  get persisted(): JournalEntry[] {
    return this.entries.map((e) => (e.steps ? { what: e.what, undo: e.steps } : { what: e.what }));
  }

  /** What was changed, oldest first. */
  get changes(): string[] {
    return this.entries.map((e) => e.what);
  }

  private async undo(entry: Entry): Promise<void> {
    if (entry.closure) return entry.closure();
    if (!this.host) throw new Error("no host to undo on");
    for (const step of entry.steps ?? []) await performUndo(this.host, step);
  }

  /** Undoes every change, newest first; returns the undos that failed (empty when all worked). */
  async rollback(): Promise<string[]> {
    const failures: string[] = [];
    for (const entry of [...this.entries].reverse()) {
      try {
        await this.undo(entry);
      } catch (error) {
        failures.push(`${entry.what}: ${(error as Error).message}`);
      }
    }
    this.entries.length = 0;
    this.persist();
    return failures;
  }

  /** A revert function over the changes recorded so far (throws if any undo fails). */
  revertFunction(): () => Promise<void> {
    const entries = [...this.entries];
    return async () => {
      const journal = new ChangeJournal(this.host);
      journal.entries.push(...entries);
      const failures = await journal.rollback();
      if (failures.length) throw new Error(`revert incomplete: ${failures.join("; ")}`);
    };
  }
}
