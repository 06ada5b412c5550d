/**
 * The dead-man switch around one order (kubernetes-nmstate's checkpoint/rollback, for netmedic's
 * host changes): armed on disk before the first change with a deadline, fed every change as it
 * is made, then either confirmed (the node still reaches the API server: the file is removed) or
 * rolled back (every change undone, newest first, and each action reported Failed "RolledBack: …").
 * A checkpoint found when an agent starts belongs to a process that died before confirming: it is
 * rolled back at once (docs/architecture.md §4 "Checkpoint and dead-man switch").
 */
import type { ActionName } from "../../api/index.js";
import type { HostExecutor } from "../host-executor.js";
import { undoEntries, type JournalSink } from "../actions/journal.js";
import { countChanges, withActionChanges, type Checkpoint, type CheckpointAction } from "./checkpoint-file.js";
import type { CheckpointStore } from "./checkpoint-store.js";

/** A rolled-back action, as the agent reports it (result Failed, detail starting "RolledBack:"). */
export interface RolledBack {
  orderId: string;
  action: ActionName;
  detail: string;
}

/** The detail prefix that marks a rollback by the dead-man switch in an ActionResult. */
const ROLLED_BACK = "RolledBack";

const rfc3339 = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z");

/** An armed checkpoint of one order, kept on disk by its store. */
export class OrderCheckpoint {
  private constructor(private readonly store: CheckpointStore, private checkpoint: Checkpoint) {}

  /** Arms a checkpoint: written to disk before the order's first change; throws when it cannot be. */
  static arm(store: CheckpointStore, orderId: string, now: Date, timeoutMs: number): OrderCheckpoint {
    const checkpoint: Checkpoint = { version: 1, orderId, armedAt: rfc3339(now), deadline: rfc3339(new Date(now.getTime() + timeoutMs)), actions: [] };
    store.write(checkpoint);
    return new OrderCheckpoint(store, checkpoint);
  }

  /** Re-opens a checkpoint read back from disk (recovery at start). */
  static of(store: CheckpointStore, checkpoint: Checkpoint): OrderCheckpoint {
    return new OrderCheckpoint(store, checkpoint);
  }

  /** The order and its deadline. */
  get orderId(): string {
    return this.checkpoint.orderId;
  }
  get deadline(): Date {
    return new Date(this.checkpoint.deadline);
  }

  /** Whether any change is held (nothing to confirm otherwise). */
  get changed(): boolean {
    return countChanges(this.checkpoint.actions) > 0;
  }

  /** The actions that changed something (the ones a rollback would report). */
  get changedActions(): ActionName[] {
    return this.checkpoint.actions.filter((entry) => entry.changes.length > 0).map((entry) => entry.action);
  }

  /** The journal sink of one action: each of its changes is on disk before `record` returns. */
  sinkFor(action: ActionName): JournalSink {
    return (entries) => {
      const next = withActionChanges(this.checkpoint, action, entries);
      this.store.write(next);
      this.checkpoint = next;
    };
  }

  /**
   * Starts the confirmation window: the deadline becomes `now + timeoutMs`, so slow changes (a k3s
   * restart) do not eat the probes' time. Written to disk like every other change of the checkpoint.
   */
  startConfirmation(now: Date, timeoutMs: number): Date {
    const next = { ...this.checkpoint, deadline: rfc3339(new Date(now.getTime() + timeoutMs)) };
    this.store.write(next);
    this.checkpoint = next;
    return this.deadline;
  }

  /** Confirms the order: the changes stay and nothing is armed any more. */
  confirm(): void {
    this.store.clear();
  }

  /**
   * Undoes every held change, the newest action first (each action's own changes newest first),
   * removes the checkpoint, and says per action what was undone and what could not be.
   */
  async rollback(host: HostExecutor, why: string): Promise<RolledBack[]> {
    const rolled: RolledBack[] = [];
    for (const entry of [...this.checkpoint.actions].reverse()) {
      if (entry.changes.length === 0) continue;
      rolled.push({ orderId: this.orderId, action: entry.action, detail: await rollbackDetail(host, entry, why) });
    }
    this.store.clear();
    return rolled;
  }
}

async function rollbackDetail(host: HostExecutor, entry: CheckpointAction, why: string): Promise<string> {
  const failures = await undoEntries(host, entry.changes);
  const undone = entry.changes.map((c) => c.what).join(", ");
  const incomplete = failures.length ? `; ROLLBACK INCOMPLETE: ${failures.join("; ")}` : "";
  return `${ROLLED_BACK}: ${why}; undid ${undone}${incomplete}`.slice(0, 1000);
}

/** What recovery at start found: rollbacks to report, and a checkpoint problem to report. */
export interface Recovery {
  rolledBack: RolledBack[];
  error?: string;
}

/**
 * Resolves what a previous agent process left: an armed checkpoint is rolled back — the process
 * that could have confirmed it is gone, so whether the deadline passed or not, nobody will; an
 * unusable file is reported (and kept aside by the store). Never throws.
 */
export async function recoverCheckpoint(store: CheckpointStore, host: HostExecutor, now: Date): Promise<Recovery> {
  const found = store.read(now);
  if (found.kind === "none") return { rolledBack: [] };
  if (found.kind === "unusable") {
    return { rolledBack: [], error: `checkpoint ${store.path} unusable: ${found.error}${found.keptAt ? ` (kept as ${found.keptAt}; check the host by hand)` : ""}` };
  }
  const { checkpoint } = found;
  const late = now.getTime() >= Date.parse(checkpoint.deadline);
  const why = `the agent stopped before confirming order ${checkpoint.orderId} (armed ${checkpoint.armedAt}, deadline ${checkpoint.deadline}${late ? ", passed" : ""})`;
  try {
    return { rolledBack: await OrderCheckpoint.of(store, checkpoint).rollback(host, why) };
  } catch (error) {
    return { rolledBack: [], error: `checkpoint ${store.path}: rollback failed: ${(error as Error).message}` };
  }
}
