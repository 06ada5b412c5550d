// Lab bookkeeping on this machine: a scratch dir per lab (its index makes names and addresses
// unique), a record of what to tear down, a sweep of labs whose owner died, and an exit safety net.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killNamespaces } from "./holder.js";
import { killGroup } from "./run.js";

const PREFIX = "netmedic-lab-";

/** What a lab must tear down; kept up to date while the lab starts and runs. */
export interface LabRecord {
  index: number;
  scratch: string;
  /** Namespace ids (`net:[…]`, `mnt:[…]`): every process in them is the lab's. */
  ns: string[];
  /** Process groups to kill (holders' unshare, spawned helpers). */
  groups: Set<number>;
}

const live = new Set<LabRecord>();
/** Where the one exit safety net of the real process keeps every module instance's `live` set. */
const EXIT_NET = Symbol.for("netmedic.lab.exitNet");

function writeRecord(r: LabRecord): void {
  writeFileSync(join(r.scratch, "lab.json"), JSON.stringify({ owner: process.pid, ns: r.ns, groups: [...r.groups] }));
}

/** Claims the lowest free lab index (1..254) and its scratch dir, and arms the exit safety net. */
export function claimLab(): LabRecord {
  sweepStaleLabs();
  const start = (process.pid % 254) + 1;
  for (let i = 0; i < 254; i++) {
    const index = ((start - 1 + i) % 254) + 1;
    const scratch = join(tmpdir(), `${PREFIX}${index}`);
    try {
      mkdirSync(scratch, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw err;
    }
    const record: LabRecord = { index, scratch, ns: [], groups: new Set() };
    writeRecord(record);
    live.add(record);
    installExitNet();
    return record;
  }
  throw new Error("lab: no free lab index (254 labs running?)");
}

/** Saves the record (call after adding namespaces or groups), so a later sweep can finish the job. */
export function saveRecord(r: LabRecord): void {
  writeRecord(r);
}

/** Synchronous teardown: kills groups and every process in the lab's namespaces, removes scratch. */
export function destroySync(r: LabRecord): void {
  for (const g of r.groups) killGroup(g);
  killNamespaces(r.ns);
  rmSync(r.scratch, { recursive: true, force: true });
  live.delete(r);
}

/** Forgets a record after an orderly stop. */
export function forget(r: LabRecord): void {
  live.delete(r);
}

/**
 * The real process object. Under jest, `process` is a per-test-file copy whose "exit" never fires;
 * a function from Node's own realm (setTimeout is injected from there) reaches the real one.
 */
function realProcess(): NodeJS.Process {
  try {
    const outer = (setTimeout.constructor as FunctionConstructor)("return process")() as NodeJS.Process;
    return outer.pid === process.pid ? outer : process;
  } catch {
    return process;
  }
}

/**
 * Jest loads this module afresh for every test file, so a module-level "installed" flag would add
 * one exit listener per file to the real process (MaxListenersExceededWarning in a full run). The
 * net is installed once per real process; each module instance only adds its `live` set to it.
 */
function installExitNet(): void {
  const owner = realProcess() as NodeJS.Process & { [EXIT_NET]?: Set<Set<LabRecord>> };
  if (owner[EXIT_NET]) {
    owner[EXIT_NET].add(live);
    return;
  }
  const sets = new Set<Set<LabRecord>>([live]);
  owner[EXIT_NET] = sets;
  owner.on("exit", () => {
    for (const r of [...sets].flatMap((set) => [...set])) {
      try {
        destroySync(r);
      } catch {
        // best effort while exiting
      }
    }
  });
}

function ownerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Tears down labs left by a test process that died without stop() (SIGKILL, crash): their holders
 * already ended with the owner's pipe, but helpers and scratch dirs may remain.
 */
export function sweepStaleLabs(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(PREFIX)) continue;
    const scratch = join(tmpdir(), entry);
    try {
      const rec = JSON.parse(readFileSync(join(scratch, "lab.json"), "utf8")) as { owner: number; ns: string[] };
      if (ownerAlive(rec.owner)) continue;
      // Only by namespace: the recorded process-group ids may have been reused since.
      destroySync({ index: 0, scratch, ns: rec.ns, groups: new Set() });
    } catch {
      // No readable record: a lab being claimed right now, unless it is old.
      try {
        if (Date.now() - statSync(scratch).mtimeMs > 10 * 60_000) rmSync(scratch, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
    }
  }
}
