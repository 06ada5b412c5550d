// Namespace holders: one long-lived process per lab host that owns its namespaces.
//
// A holder is `unshare --net --uts --ipc [--mount] --pid --fork --kill-child -- cat` with a pipe on
// stdin. Its child `cat` is PID 1 of a fresh PID namespace and lives in all the new namespaces:
// that child's host PID is what `nsenter --target` (and the agent's --host-pid) takes. Daemons the lab
// starts join that PID namespace, so when the holder ends, the kernel kills them all. The holder
// ends when its stdin closes, which also happens when the test process dies without cleaning up.
import { readdirSync, readlinkSync, readFileSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { killGroup, spawnDetached, waitFor } from "./run.js";

/** A running namespace holder. */
export interface Holder {
  /** Host PID of the process inside the namespaces (PID 1 of the holder's PID namespace). */
  pid: number;
  /** The `unshare` process (its process group holds the whole holder). */
  unshare: ChildProcess;
  /** Namespace identities, e.g. `{ net: "net:[4026532181]", mnt: "mnt:[…]" }`. */
  ns: Record<string, string>;
}

/** Starts a holder with its own network, UTS, IPC and PID namespace, and a mount namespace if asked. */
export async function startHolder(opts: { mount: boolean }): Promise<Holder> {
  const flags = ["--net", "--uts", "--ipc", "--pid", "--fork", "--kill-child"];
  if (opts.mount) flags.push("--mount", "--propagation", "private");
  const unshare = spawnDetached(["unshare", ...flags, "--", "cat"], { stdio: ["pipe", "ignore", "ignore"] });
  const upid = unshare.pid;
  if (!upid) throw new Error("lab: could not start unshare");
  unshare.on("error", () => undefined);
  // Never keep the test process alive: if it exits without stop(), the pipe closes and the holder ends.
  unshare.unref();
  (unshare.stdin as Socket | null)?.unref();
  const pid = await waitFor("namespace holder", 5000, () => {
    if (unshare.exitCode !== null) throw new Error(`lab: unshare exited ${unshare.exitCode}`);
    const child = readChildren(upid)[0];
    // The child exists right after unshare(2); wait until it runs `cat` in the new namespaces.
    return child !== undefined && readComm(child) === "cat" ? child : undefined;
  });
  const ns: Record<string, string> = { net: readlinkSync(`/proc/${pid}/ns/net`) };
  if (opts.mount) ns.mnt = readlinkSync(`/proc/${pid}/ns/mnt`);
  if (ns.net === readlinkSync("/proc/self/ns/net")) throw new Error("lab: holder is in this machine's network namespace");
  return { pid, unshare, ns };
}

/**
 * Ends a holder: closes its stdin (cat exits, the kernel kills the rest of its PID namespace,
 * unshare reaps it and exits); SIGKILLs the holder's process group if that takes over timeoutMs.
 */
export async function endHolder(holder: Holder, timeoutMs = 3000): Promise<void> {
  const { unshare } = holder;
  if (unshare.exitCode !== null || unshare.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => unshare.once("exit", () => resolve()));
  unshare.stdin?.destroy();
  const timer = setTimeout(() => killGroup(unshare.pid), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Host PIDs of every live process that is in one of the given namespaces (values like
 * `net:[4026532181]`): the lab's daemons, holders, spawned helpers and anything an agent left there.
 */
export function pidsInNamespaces(nsIds: readonly string[]): number[] {
  const wanted = new Set(nsIds);
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    for (const kind of ["net", "mnt"]) {
      let id: string;
      try {
        id = readlinkSync(`/proc/${entry}/ns/${kind}`);
      } catch {
        continue; // exited, or a zombie
      }
      if (wanted.has(id)) {
        found.push(Number(entry));
        break;
      }
    }
  }
  return found;
}

/** SIGKILLs every process in the given namespaces (by PID, found through /proc; never by name). */
export function killNamespaces(nsIds: readonly string[]): number[] {
  const pids = pidsInNamespaces(nsIds);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return pids;
}

function readChildren(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function readComm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}
