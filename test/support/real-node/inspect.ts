/**
 * Looks at real-node pods from the outside, the way an operator would on the node: the container's
 * process (found by its cgroup under the node's parent), its user, its root filesystem's mount
 * options, whether a token is mounted, and which PID namespace it lives in. Plus what of this
 * machine a real node could have changed (the kubelet's sysctls, the node cgroup parent).
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { Lab } from "../lab/index.js";
import type { RealNode } from "./real-node.js";
import { nodeCgroupParent } from "./node-daemons.js";
import { KUBELET_SYSCTLS } from "../lab/node-mounts.js";

/** What a container process of a node shows. */
export interface NodeProcessState {
  pid: number;
  uid: string;
  rootReadOnly: boolean;
  serviceAccountToken: boolean;
  sharesNodePidNamespace: boolean;
}

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** The node process of netmedic's `component` on `node` (the node binary, not tini), or throws. */
export async function nodeProcessState(node: RealNode, component: string): Promise<NodeProcessState> {
  const { lab } = node;
  const nodePidNs = readlinkSync(`/proc/${lab.workerPid}/ns/pid`);
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    const argv = read(`/proc/${entry}/cmdline`).split("\0");
    if (argv[0] === "/usr/bin/tini" || !argv.includes("/app/dist/cli/main.js") || argv[argv.indexOf("/app/dist/cli/main.js") + 1] !== component) continue;
    if (!read(`/proc/${entry}/cgroup`).includes(`${nodeCgroupParent(node.name)}/`) && !isUnder(lab, Number(entry))) continue;
    const rootMount = read(`/proc/${entry}/mountinfo`).split("\n").find((l) => l.split(" ")[4] === "/");
    return {
      pid: Number(entry),
      uid: /^Uid:\s+(\d+)/m.exec(read(`/proc/${entry}/status`))?.[1] ?? "",
      rootReadOnly: (rootMount?.split(" ")[5] ?? "").split(",").includes("ro"),
      serviceAccountToken: existsSync(`/proc/${entry}/root/var/run/secrets/kubernetes.io/serviceaccount/token`),
      sharesNodePidNamespace: readlinkSync(`/proc/${entry}/ns/pid`) === nodePidNs,
    };
  }
  throw new Error(`no ${component} process found on ${node.name}`);
}

/** Whether `pid` descends from the lab worker's namespace holder (its PID namespace or one nested in it). */
function isUnder(lab: Lab, pid: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === lab.workerPid) return true;
    p = Number(/^PPid:\s+(\d+)/m.exec(read(`/proc/${p}/status`))?.[1] ?? 0);
  }
  return false;
}

/** `state` plus the machine-wide sysctls a kubelet writes and whether a node cgroup parent is left. */
export async function realNodeMachineState(state: Record<string, unknown>): Promise<Record<string, unknown>> {
  const sysctls = Object.fromEntries(KUBELET_SYSCTLS.map((name) => [name, read(`/proc/sys/${name}`).trim()]));
  const cgroupsLeft = readdirSync("/sys/fs/cgroup").filter((h) => existsSync(`/sys/fs/cgroup/${h}/netmedic-real-nodes`));
  return { ...state, sysctls, cgroupsLeft };
}
