/**
 * A journal of the host changes one action made, each with its undo. On a failure the action rolls
 * back everything it changed (newest first), so nothing is left half-written; on success the same
 * undos make the action's revert.
 */

/** One change and how to undo it. */
interface Entry {
  what: string;
  undo: () => Promise<void>;
}

/** Changes made so far by one action execution. */
export class ChangeJournal {
  private readonly entries: Entry[] = [];

  /** Records a change that has just been made. */
  record(what: string, undo: () => Promise<void>): void {
    this.entries.push({ what, undo });
  }

  /** Records a change whose undo must run after every other undo (e.g. a restart on restored files). */
  recordLast(what: string, undo: () => Promise<void>): void {
    this.entries.unshift({ what, undo });
  }

  /** What was changed, oldest first. */
  get changes(): string[] {
    return this.entries.map((e) => e.what);
  }

  /** Undoes every change, newest first; returns the undos that failed (empty when all worked). */
  async rollback(): Promise<string[]> {
    const failures: string[] = [];
    for (const entry of [...this.entries].reverse()) {
      try {
        await entry.undo();
      } catch (error) {
        failures.push(`${entry.what}: ${(error as Error).message}`);
      }
    }
    this.entries.length = 0;
    return failures;
  }

  /** A revert function over the changes recorded so far (throws if any undo fails). */
  revertFunction(): () => Promise<void> {
    const entries = [...this.entries];
    return async () => {
      const journal = new ChangeJournal();
      for (const e of entries) journal.record(e.what, e.undo);
      const failures = await journal.rollback();
      if (failures.length) throw new Error(`revert incomplete: ${failures.join("; ")}`);
    };
  }
}
