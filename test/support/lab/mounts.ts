// The worker's private mount namespace: every host path an agent action may write is covered by a
// scratch layer on this machine's disk, so writes land in the lab's scratch dir, never in the real
// files (a private mount namespace isolates mounts, not files: docs/architecture.md §8.3).
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { mustRun, nsenterArgv } from "./run.js";
import { fakeSystemctlScript, LAB_STATE_DIR } from "./systemctl.js";
import { nodeMountCommands, type NodeMounts } from "./node-mounts.js";

/** Directories overlaid (lower = the machine's, upper = scratch): reads see the real content, writes stay in scratch. */
export const OVERLAID = ["/etc", "/var", "/usr/bin"] as const;

/** Every lab path whose writes stay in the lab: the overlays, /run (scratch bind), /tmp (private tmpfs). */
export const COVERED = [...OVERLAID, "/run", "/tmp"] as const;

/** The covered directory a lab path lies in, or undefined: a write elsewhere would hit this machine. */
export function coveredBy(path: string): (typeof COVERED)[number] | undefined {
  if (!path.startsWith("/") || path.split("/").includes("..")) throw new Error(`lab: bad path ${path}`);
  return COVERED.find((d) => path === d || path.startsWith(`${d}/`));
}

/** Where scratch layers live, under the lab's scratch root on the host. */
export interface ScratchLayout {
  root: string;
  /** Host dir receiving writes to the lab's `dir` (one of OVERLAID): its overlay upper layer. */
  upper: (dir: (typeof OVERLAID)[number]) => string;
  /** Host dir bind-mounted as the lab's /run (starts empty). */
  run: string;
  /** Host path of the fake systemctl's state dir (LAB_STATE_DIR inside the lab). */
  state: string;
  /** Host dir for daemon logs (not visible as a special path inside the lab). */
  logs: string;
}

const key = (dir: string): string => dir.slice(1).replaceAll("/", "-");

/** The layout for a scratch root. */
export function scratchLayout(root: string): ScratchLayout {
  return {
    root,
    upper: (dir) => join(root, key(dir), "upper"),
    run: join(root, "run"),
    state: join(root, "run", LAB_STATE_DIR.replace(/^\/run\//, "")),
    logs: join(root, "logs"),
  };
}

/**
 * Builds the worker's mount namespace (entered through pid): private propagation; a fresh read-only
 * sysfs of the worker's network namespace; overlays on /etc, /var (covers /var/lib/rancher) and
 * /usr/bin (adds the fake systemctl); a scratch /run (own D-Bus socket); a private tmpfs /tmp
 * (mounted last: the scratch dir itself may live in the machine's /tmp); /proc/sys read-only
 * except /proc/sys/net (kernel.*, fs.*, vm.* are machine-wide); a real node's mounts when asked
 * (node-mounts.ts); the lab hostname.
 */
export async function setupWorkerMounts(pid: number, s: ScratchLayout, hostname: string, node?: NodeMounts): Promise<void> {
  const under = OVERLAID.find((d) => s.root.startsWith(`${d}/`));
  if (under) throw new Error(`lab: scratch ${s.root} must not be under ${under} (overlay layers would overlap); set TMPDIR`);
  for (const dir of OVERLAID) {
    await mkdir(s.upper(dir), { recursive: true });
    await mkdir(join(s.root, key(dir), "work"), { recursive: true });
  }
  await mkdir(join(s.run, "dbus"), { recursive: true });
  await mkdir(s.state, { recursive: true });
  await mkdir(s.logs, { recursive: true });
  const systemctl = join(s.upper("/usr/bin"), "systemctl");
  await writeFile(systemctl, fakeSystemctlScript());
  await chmod(systemctl, 0o755);

  const inWorker = (...argv: string[]): Promise<string> => mustRun(nsenterArgv(pid, ["mount", "net", "uts", "ipc", "pid"], argv));
  await inWorker("mount", "--make-rprivate", "/");
  await inWorker("mount", "-t", "sysfs", "-o", "ro,nosuid,nodev,noexec", "sysfs", "/sys");
  // A node's containerd and shims look up their own processes in /proc: it must show the worker's PID namespace.
  if (node) await inWorker("mount", "-t", "proc", "-o", "nosuid,nodev,noexec", "proc", "/proc");
  for (const dir of OVERLAID) {
    const options = `lowerdir=${dir},upperdir=${s.upper(dir)},workdir=${join(s.root, key(dir), "work")}`;
    await inWorker("mount", "-t", "overlay", "overlay", "-o", options, dir);
  }
  await inWorker("mount", "--bind", s.run, "/run");
  await inWorker("mount", "--bind", "/proc/sys", "/proc/sys");
  await inWorker("mount", "-o", "remount,bind,ro", "/proc/sys");
  await inWorker("mount", "--bind", "/proc/sys/net", "/proc/sys/net");
  await inWorker("mount", "-o", "remount,bind,rw", "/proc/sys/net");
  for (const argv of node ? nodeMountCommands(node) : []) await inWorker(...argv);
  await inWorker("mount", "-t", "tmpfs", "-o", "mode=1777,nosuid,nodev,size=64m", "tmpfs", "/tmp");
  await inWorker("hostname", hostname);
  await verifyWorkerMounts(pid);
}

/** Refuses to go on unless the isolation really holds (a lab must never write the real host). */
async function verifyWorkerMounts(pid: number): Promise<void> {
  const inWorker = (...argv: string[]): Promise<string> => mustRun(nsenterArgv(pid, ["mount", "net", "uts", "ipc", "pid"], argv));
  const table = await inWorker("findmnt", "--raw", "--noheadings", "-o", "TARGET,FSTYPE,OPTIONS");
  const mounts = new Map(table.trim().split("\n").map((l) => {
    const [target = "", fstype = "", options = ""] = l.split(" ");
    return [target, { fstype, ro: options.split(",").includes("ro") }] as const;
  }));
  for (const dir of OVERLAID) if (mounts.get(dir)?.fstype !== "overlay") throw new Error(`lab: ${dir} is not overlaid`);
  if (!mounts.get("/proc/sys")?.ro || mounts.get("/proc/sys/net")?.ro !== false) throw new Error("lab: /proc/sys is not read-only outside net");
  if (!mounts.has("/run") || mounts.get("/tmp")?.fstype !== "tmpfs") throw new Error("lab: /run or /tmp is not a lab mount");
  // The fake must be the only systemctl on a standard PATH inside the lab.
  for (const dir of ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
    const file = `/proc/${pid}/root${dir}/systemctl`;
    if (existsSync(file) && !readFileSync(file, "utf8").startsWith(`#!${process.execPath}\n`)) {
      throw new Error(`lab: ${dir}/systemctl inside the lab is not the fake`);
    }
  }
}

/**
 * Writes a file as the worker sees it (through /proc/PID/root, i.e. into the scratch layers). Only
 * under COVERED: anywhere else the lab's mount namespace shows this machine's real files.
 */
export async function writeLabFile(pid: number, path: string, content: string, mode = 0o644): Promise<void> {
  if (!coveredBy(path)) throw new Error(`lab: ${path} is not under a lab mount (${COVERED.join(", ")})`);
  const host = `/proc/${pid}/root${path}`;
  await mkdir(dirname(host), { recursive: true });
  await writeFile(host, content, { mode });
  await chmod(host, mode);
}
