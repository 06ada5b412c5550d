/**
 * How a host change is undone, as data rather than a closure: the journal is persisted on the host
 * (src/agent/checkpoint/) and a later agent process must be able to undo what an earlier one did.
 * Every step goes through the same HostExecutor (allowlisted programs, argv only) and the same
 * host-file helpers as the change itself; a step read back from disk is validated first.
 */
import { HOST_PROGRAMS, HostCommandError, type HostExecutor } from "../host-executor.js";
import { moveHostFile, removeHostFile, restoreHostFile, writeHostFileAtomic } from "../host-files.js";
import { writeSysctl } from "../sysctl.js";
import { validHostPath, validSysctlName } from "../validate.js";

/**
 * Errors an undo may meet because the change is already gone (a person or a reload removed it):
 * `firewalld` = firewall-cmd's UNKNOWN_SOURCE / UNKNOWN_INTERFACE / NOT_ENABLED / INVALID_SERVICE.
 */
export type Tolerance = "firewalld";
const TOLERATED: Record<Tolerance, RegExp> = { firewalld: /UNKNOWN_SOURCE|UNKNOWN_INTERFACE|NOT_ENABLED|INVALID_SERVICE/ };

/** One undo operation. `write` content is a small config file (never a file holding a token). */
export type UndoStep =
  | { kind: "command"; argv: string[]; timeoutMs?: number; tolerate?: Tolerance }
  | { kind: "sysctl"; key: string; value: number }
  | { kind: "write"; path: string; content: string }
  | { kind: "remove"; path: string }
  | { kind: "restore"; backup: string; path: string }
  | { kind: "move"; from: string; to: string };

/** Runs one undo step on the host; throws when it did not work. */
export async function performUndo(host: HostExecutor, step: UndoStep): Promise<void> {
  switch (step.kind) {
    case "command": {
      const result = await host.run(step.argv, step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs });
      if (result.code === 0 || (step.tolerate && TOLERATED[step.tolerate].test(result.stderr))) return;
      throw new HostCommandError(step.argv, result);
    }
    case "sysctl":
      return writeSysctl(host, { key: step.key, path: "" }, step.value);
    case "write":
      return writeHostFileAtomic(host, step.path, step.content);
    case "remove":
      return removeHostFile(host, step.path);
    case "restore":
      return restoreHostFile(host, step.backup, step.path);
    case "move":
      return moveHostFile(host, step.from, step.to);
  }
}

/** Largest `write` content kept in a journal (the agent's drop-ins are a few hundred bytes). */
const MAX_UNDO_CONTENT = 32 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown, what: string): string => {
  if (typeof v !== "string") throw new Error(`${what} is not a string`);
  return v;
};

function validCommand(o: Record<string, unknown>): UndoStep {
  const argv = o.argv;
  if (!Array.isArray(argv) || argv.length === 0 || argv.length > 32 || !argv.every((a) => typeof a === "string")) throw new Error("command argv is not a list of strings");
  if (!HOST_PROGRAMS.has(argv[0] as string)) throw new Error(`program ${JSON.stringify(String(argv[0]).slice(0, 40))} is not allowlisted`);
  const timeoutMs = o.timeoutMs;
  if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !(timeoutMs > 0 && timeoutMs <= 600_000))) throw new Error("command timeoutMs out of range");
  if (o.tolerate !== undefined && o.tolerate !== "firewalld") throw new Error("unknown tolerance");
  return { kind: "command", argv: argv as string[], ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(o.tolerate ? { tolerate: "firewalld" as const } : {}) };
}

/**
 * Checks a step read back from a journal file: a known kind, fields of the right type, host paths
 * and sysctl names in their valid forms, programs on the allowlist. Throws saying what is wrong.
 */
export function validUndoStep(value: unknown): UndoStep {
  if (!isObject(value)) throw new Error("undo step is not an object");
  switch (value.kind) {
    case "command":
      return validCommand(value);
    case "sysctl": {
      if (typeof value.value !== "number" || !Number.isInteger(value.value)) throw new Error("sysctl value is not an integer");
      return { kind: "sysctl", key: validSysctlName(value.key), value: value.value };
    }
    case "write": {
      const content = str(value.content, "write content");
      if (content.length > MAX_UNDO_CONTENT) throw new Error("write content too large");
      return { kind: "write", path: validHostPath(value.path), content };
    }
    case "remove":
      return { kind: "remove", path: validHostPath(value.path) };
    case "restore":
      return { kind: "restore", backup: validHostPath(value.backup), path: validHostPath(value.path) };
    case "move":
      return { kind: "move", from: validHostPath(value.from), to: validHostPath(value.to) };
    default:
      throw new Error(`unknown undo step kind ${JSON.stringify(String(value.kind).slice(0, 30))}`);
  }
}
