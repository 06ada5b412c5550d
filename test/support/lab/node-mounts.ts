// What a real node (kubelet + containerd, test/support/real-node/) needs in the worker's mount
// namespace on top of the lab's isolation: the machine's cgroup hierarchies (kubelet and runc
// create the node's cgroups under a parent of the test's own), real directories for containerd's
// overlay snapshots and the kubelet's volumes (neither works on the /var overlay), and private
// copies of the machine-wide sysctls the kubelet writes at start.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Extra mounts of a worker that runs a real node. */
export interface NodeMounts {
  /** Host directories bound into the worker at `target` (created inside the worker if missing). */
  binds: ReadonlyArray<{ source: string; target: string }>;
  /** Directory on the host that receives the private copies of KUBELET_SYSCTLS. */
  sysctlDir: string;
}

/**
 * The machine-wide /proc/sys files kubelet v1.20 sets at start (setupKernelTunables), each of which
 * it writes when the value differs and treats a failed write as fatal: the worker gets its own copy
 * of every one, so this machine's values never change.
 */
export const KUBELET_SYSCTLS = [
  "vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops", "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes",
] as const;

/** One cgroup hierarchy of this machine: where it is mounted and how to mount it again. */
interface Hierarchy {
  target: string;
  fstype: "cgroup" | "cgroup2";
  options: string;
}

const GENERIC = new Set(["rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec"]);

/** The machine's cgroup hierarchies under /sys/fs/cgroup (v1 controllers, a named hierarchy, or v2). */
export function machineCgroupHierarchies(mounts = readFileSync("/proc/self/mounts", "utf8")): Hierarchy[] {
  const found: Hierarchy[] = [];
  for (const line of mounts.split("\n")) {
    const [, target = "", fstype = "", options = ""] = line.split(" ");
    if ((fstype !== "cgroup" && fstype !== "cgroup2") || !target.startsWith("/sys/fs/cgroup")) continue;
    const own = options.split(",").filter((o) => !GENERIC.has(o));
    const named = own.some((o) => o.startsWith("name="));
    found.push({ target, fstype, options: (named ? ["none", ...own] : own).join(",") });
  }
  return found;
}

/**
 * argv lists that mount the node's filesystems inside the worker (run after the lab's own sysfs and
 * /proc/sys mounts, before its private /tmp hides the host's scratch dirs). Writes the sysctl copies.
 */
export function nodeMountCommands(node: NodeMounts): string[][] {
  const commands: string[][] = [];
  const hierarchies = machineCgroupHierarchies();
  if (hierarchies.some((h) => h.fstype === "cgroup")) commands.push(["mount", "-t", "tmpfs", "-o", "mode=755,nosuid,nodev,noexec", "cgroup", "/sys/fs/cgroup"]);
  for (const h of hierarchies) {
    if (h.target !== "/sys/fs/cgroup") commands.push(["mkdir", "-p", h.target]);
    commands.push(["mount", "-t", h.fstype, ...(h.options ? ["-o", h.options] : []), h.fstype, h.target]);
  }
  for (const { source, target } of node.binds) commands.push(["mkdir", "-p", target], ["mount", "--bind", source, target]);
  for (const name of KUBELET_SYSCTLS) {
    const copy = join(node.sysctlDir, name.replaceAll("/", "."));
    writeFileSync(copy, readFileSync(`/proc/sys/${name}`));
    commands.push(["mount", "--bind", copy, `/proc/sys/${name}`]);
  }
  return commands;
}
