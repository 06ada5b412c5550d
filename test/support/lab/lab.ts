// The node lab (test layer 3): a broken k0s-style worker built from real network namespaces, with
// real firewalld on its own D-Bus in its own mount namespace. See docs/architecture.md §7.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ChildProcess, SpawnOptions } from "node:child_process";
import { claimLab, destroySync, forget, saveRecord, type LabRecord } from "./cleanup.js";
import { endHolder, killNamespaces, pidsInNamespaces, startHolder, type Holder } from "./holder.js";
import { writeK3sFiles, type K3sHostRootOptions, type K3sHostRootPaths } from "./k3s.js";
import { coveredBy, scratchLayout, setupWorkerMounts, writeLabFile, type ScratchLayout } from "./mounts.js";
import { checkPrerequisites } from "./prereqs.js";
import type { NodeMounts } from "./node-mounts.js";
import { killGroup, nsenterArgv, run, spawnDetached, waitFor, type NsKinds, type RunOptions, type RunResult } from "./run.js";
import { startDbus, startFirewalld, startListeners } from "./services.js";
import { initSystemctlLog, readFakeUnits, readSystemctlLog, writeFakeUnits, type FakeUnit, type SystemctlCall } from "./systemctl.js";
import { dialFrom, type TcpResult } from "./tcp.js";
import { addressesFor, setWorkerKernel, wireTopology, type LabAddresses } from "./topology.js";

/** Options of {@link startLab}. Defaults reproduce the k0s incident's worker (docs/architecture.md §8.1). */
export interface LabOptions {
  /** Prefix of the worker's hostname (default `lab-worker`); the lab index is appended. */
  name?: string;
  /** Run real firewalld with its default config (default true). */
  firewalld?: boolean;
  /** The worker's net.ipv4.ip_forward (default 0). */
  ipForward?: 0 | 1;
  /** The worker's net.bridge.bridge-nf-call-ip{,6}tables (default 0). */
  bridgeNfCallIptables?: 0 | 1;
  /** TCP ports the control host listens on (default 8132 konnectivity, 6443 apiserver). */
  controlPorts?: number[];
  /** The worker will run a real node: its mounts (node-mounts.ts), given the lab's scratch root. */
  node?: (scratchRoot: string) => NodeMounts;
}

/** One of the lab's hosts. */
export type LabHost = "worker" | "pod" | "control";

/** A running lab. Every method works on the lab's own namespaces only. */
export interface Lab {
  /** Lab number (1..254), unique among the labs on this machine; part of names and addresses. */
  index: number;
  /** The worker's hostname (its UTS namespace). */
  hostname: string;
  /** The worker's namespace holder: pass as the agent's `--host-pid`. */
  workerPid: number;
  podPid: number;
  controlPid: number;
  addresses: LabAddresses;
  /** Host paths of the scratch layers (see mounts.ts); removed by stop(). */
  scratch: ScratchLayout;
  /** Namespace ids of all lab hosts (`net:[…]`, `mnt:[…]`). */
  namespaces: string[];
  /** Milliseconds startLab took. */
  startupMs: number;
  /** Runs argv to completion inside a host (worker: mount+net+uts+ipc; pod, control: net+uts+ipc). */
  execIn(which: LabHost, argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /**
   * Starts a long-running argv inside a host; the handle is the process itself (nsenter and setpriv
   * exec it). Own process group; killed by stop(), and by the kernel if this process dies first.
   */
  spawnIn(which: LabHost, argv: readonly string[], opts?: SpawnOptions): ChildProcess;
  /** One TCP dial from a host to a lab address (or loopback); ETIMEDOUT after timeoutMs. */
  tcpConnect(from: LabHost, host: string, port: number, timeoutMs: number): Promise<TcpResult>;
  /** `sysctl -n name` in the worker. */
  readSysctl(name: string): Promise<string>;
  /** A file as the worker sees it (scratch layers over the machine's files). */
  readFile(path: string): Promise<string>;
  /** Writes a file as the worker sees it, only under a lab mount (COVERED), e.g. /etc/os-release. */
  writeFile(path: string, content: string, mode?: number): Promise<void>;
  /** Host path where a write to `labPath` lands: in scratch (/etc, /var, /usr/bin, /run; not /tmp). */
  scratchPathOf(labPath: string): string;
  /** The fake systemctl's recorded calls, oldest first. */
  systemctlLog(): Promise<SystemctlCall[]>;
  /** Declares (or replaces) a unit of the fake systemctl, with its hooks. */
  setSystemctlUnit(name: string, unit: FakeUnit): Promise<void>;
  /** Writes a k3s agent's config, service env and LB state; registers unit `k3s-agent` (active). */
  writeK3sHostRoot(o: K3sHostRootOptions): Promise<K3sHostRootPaths>;
  /** Tears everything down (idempotent). Also runs from a process "exit" safety net. */
  stop(): Promise<void>;
}

// The worker is also entered in its PID namespace: a real node's worker mounts its own /proc, where
// /proc/self of a process outside that namespace would not resolve.
const KINDS: Record<LabHost, NsKinds> = { worker: ["mount", "net", "uts", "ipc", "pid"], pod: ["net", "uts", "ipc"], control: ["net", "uts", "ipc"] };

/**
 * Starts a lab: three namespace holders (control, worker with its private mount namespace, pod),
 * the scratch mounts, links and addresses, the worker's D-Bus and firewalld, the control listeners,
 * and the worker's fault state. Throws (never skips) when prerequisites are missing.
 */
export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  checkPrerequisites();
  const t0 = Date.now();
  const rec = claimLab();
  const holders: Holder[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopLab(rec, holders));
  try {
    const started = await Promise.allSettled([startHolder({ mount: false }), startHolder({ mount: true }), startHolder({ mount: false })]);
    for (const r of started) {
      if (r.status !== "fulfilled") continue;
      holders.push(r.value);
      rec.ns.push(...Object.values(r.value.ns));
      if (r.value.unshare.pid) rec.groups.add(r.value.unshare.pid);
    }
    saveRecord(rec);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    const [control, worker, pod] = holders as [Holder, Holder, Holder];
    const pids = { control: control.pid, worker: worker.pid, pod: pod.pid };
    const s = scratchLayout(rec.scratch);
    const hostname = `${opts.name ?? "lab-worker"}-${rec.index}`;
    await setupWorkerMounts(worker.pid, s, hostname, opts.node?.(s.root));
    await writeFakeUnits(s.state, { firewalld: { active: opts.firewalld ?? true }, dbus: { active: true } });
    await initSystemctlLog(s.state);
    const addresses = addressesFor(rec.index);
    await wireTopology(pids, addresses);
    for (const child of [await startDbus(worker.pid, s), ...(opts.firewalld ?? true ? [await startFirewalld(worker.pid, s)] : [])]) track(rec, child);
    track(rec, await startListeners(control.pid, opts.controlPorts ?? [8132, 6443]));
    await setWorkerKernel(worker.pid, { ipForward: opts.ipForward ?? 0, bridgeNfCallIptables: opts.bridgeNfCallIptables ?? 0 });

    const execIn = (which: LabHost, argv: readonly string[], o?: RunOptions): Promise<RunResult> => run(nsenterArgv(pids[which], KINDS[which], argv), o);
    return {
      index: rec.index, hostname, workerPid: worker.pid, podPid: pod.pid, controlPid: control.pid, addresses, scratch: s,
      namespaces: [...rec.ns], startupMs: Date.now() - t0, execIn, stop,
      spawnIn(which, argv, o) {
        // setpriv --pdeathsig: the helper dies with this process even if stop() never runs.
        const child = spawnDetached(nsenterArgv(pids[which], KINDS[which], ["setpriv", "--pdeathsig", "SIGKILL", "--", ...argv]), o);
        track(rec, child);
        return child;
      },
      async tcpConnect(from, host, port, timeoutMs) {
        if (!isLabAddress(addresses, host)) throw new Error(`lab: ${host} is not a lab address (docs/architecture.md §8.5)`);
        return dialFrom(pids[from], KINDS[from], host, port, timeoutMs);
      },
      async readSysctl(name) {
        if (!/^[a-z0-9_.-]+$/i.test(name)) throw new Error(`lab: bad sysctl name ${name}`);
        const r = await execIn("worker", ["sysctl", "-n", name]);
        if (r.code !== 0) throw new Error(`lab: sysctl ${name}: ${r.stderr.trim()}`);
        return r.stdout.trim();
      },
      readFile: (path) => readFile(`/proc/${worker.pid}/root${labPath(path)}`, "utf8"),
      writeFile: (path, content, mode) => writeLabFile(worker.pid, labPath(path), content, mode),
      scratchPathOf(path) {
        const dir = coveredBy(path);
        if (dir === "/run") return join(s.run, path.slice(dir.length));
        if (dir && dir !== "/tmp") return join(s.upper(dir), path.slice(dir.length));
        throw new Error(`lab: ${path} has no host path (${dir ? "private tmpfs" : "not under a lab mount"})`);
      },
      systemctlLog: () => readSystemctlLog(s.state),
      async setSystemctlUnit(name, unit) {
        await writeFakeUnits(s.state, { ...(await readFakeUnits(s.state)), [name]: unit });
      },
      async writeK3sHostRoot(o) {
        const paths = await writeK3sFiles(worker.pid, o);
        const units = await readFakeUnits(s.state);
        if (!units["k3s-agent"]) await writeFakeUnits(s.state, { ...units, "k3s-agent": { active: true } });
        return paths;
      },
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

function track(rec: LabRecord, child: ChildProcess): void {
  if (!child.pid) return;
  const pid = child.pid;
  rec.groups.add(pid);
  saveRecord(rec);
  child.once("exit", () => rec.groups.delete(pid));
}

function labPath(path: string): string {
  if (!path.startsWith("/") || path.split("/").includes("..")) throw new Error(`lab: bad path ${path}`);
  return path;
}

function isLabAddress(a: LabAddresses, host: string): boolean {
  const net24 = (ip: string): string => ip.split(".").slice(0, 3).join(".") + ".";
  return host.startsWith("127.") || host === "::1" || host.startsWith(net24(a.control)) || host.startsWith(net24(a.podIP));
}

async function stopLab(rec: LabRecord, holders: Holder[]): Promise<void> {
  // Holders first: each ends by itself (stdin EOF) and the kernel kills its PID namespace, so the
  // daemons are reaped by their own parents. Then spawned helpers and anything still there.
  await Promise.all(holders.map((h) => endHolder(h)));
  for (const g of rec.groups) killGroup(g);
  await waitFor("the lab's processes to end", 10_000, () => (killNamespaces(rec.ns).length === 0 ? true : undefined), 50).catch(() => undefined);
  const left = pidsInNamespaces(rec.ns);
  destroySync(rec);
  forget(rec);
  if (left.length > 0) throw new Error(`lab: processes still in the lab's namespaces: ${left.join(", ")}`);
}
