/**
 * The order checkpoint on disk: one file, `<state dir>/checkpoint.json`, in a directory only the
 * agent uses (/var/lib/netmedic on the node, a hostPath volume, so it survives the agent's
 * container, pod and the node's reboot). Written atomically and synchronously — a temp file is
 * filled, fsynced and renamed over the checkpoint, then the directory is fsynced — so a kill at any
 * moment leaves either the previous or the new checkpoint, and a change is on disk before the agent
 * makes the next one. Read back bounded and validated; a file that cannot be used is moved aside for
 * a person and reported, never thrown.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { MAX_CHECKPOINT_BYTES, parseCheckpoint, serializeCheckpoint, type Checkpoint } from "./checkpoint-file.js";

/** The agent's state directory on the node (a hostPath volume in deploy/). */
export const DEFAULT_STATE_DIR = "/var/lib/netmedic";

/** What reading the checkpoint found: nothing, an armed checkpoint, or a file that cannot be used. */
export type CheckpointRead =
  | { kind: "none" }
  | { kind: "armed"; checkpoint: Checkpoint }
  | { kind: "unusable"; error: string; keptAt?: string };

const errorText = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/** Reads and writes the checkpoint file of one state directory. */
export class CheckpointStore {
  /** The checkpoint file's path. */
  readonly path: string;

  constructor(readonly dir: string) {
    this.path = join(dir, "checkpoint.json");
  }

  /** Writes the checkpoint durably (temp file, fsync, rename, fsync of the directory); throws on failure. */
  write(checkpoint: Checkpoint): void {
    const text = serializeCheckpoint(checkpoint);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.tmp`;
    const fd = openSync(temp, "w", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
    this.syncDir();
  }

  /** Removes the checkpoint (the order is confirmed or rolled back); absent is fine. */
  clear(): void {
    rmSync(this.path, { force: true });
    rmSync(`${this.path}.tmp`, { force: true });
    this.syncDir();
  }

  /** Reads the checkpoint; never throws. An unusable file is renamed `checkpoint.json.unusable-<ms>` when possible. */
  read(now: Date = new Date()): CheckpointRead {
    let text: string;
    try {
      // A temp file left by a kill mid-write never became the checkpoint: the previous one stands.
      rmSync(`${this.path}.tmp`, { force: true });
      if (statSync(this.path).size > MAX_CHECKPOINT_BYTES) return this.unusable(`larger than ${MAX_CHECKPOINT_BYTES} bytes`, now);
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "none" };
      return this.unusable(`cannot be read: ${errorText(error)}`, now);
    }
    const parsed = parseCheckpoint(text);
    return "checkpoint" in parsed ? { kind: "armed", checkpoint: parsed.checkpoint } : this.unusable(parsed.error, now);
  }

  private unusable(error: string, now: Date): CheckpointRead {
    const keptAt = `${this.path}.unusable-${now.getTime()}`;
    try {
      renameSync(this.path, keptAt);
      this.syncDir();
      return { kind: "unusable", error, keptAt };
    } catch {
      return { kind: "unusable", error };
    }
  }

  private syncDir(): void {
    try {
      const fd = openSync(this.dir, "r");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch {
      // The directory itself vanished or cannot be opened: the rename is done, only its durability is unknown.
    }
  }
}
