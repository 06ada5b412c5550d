/**
 * One real node in a box: a lab (its own network, mount, PID, UTS and IPC namespaces, its own /etc,
 * firewalld on its own D-Bus) whose worker runs containerd, the kubelet and kube-proxy, registers
 * as a Node with the real apiserver and gives pods a real network through the CNI bridge plugin.
 * hostNetwork/hostPID pods see the lab worker, never this machine.
 */
import { mkdirSync, readdirSync, rmdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { startLab, type Lab, type LabOptions } from "../lab/index.js";
import { machineCgroupHierarchies, type NodeMounts } from "../lab/node-mounts.js";
import { stopProcess, type ManagedProcess } from "../control-plane/processes.js";
import type { ApiPath } from "./api-path.js";
import type { NodeBinaries } from "./binaries.js";
import { importImages, startContainerd } from "./containerd.js";
import { KUBELET_ROOT, NODE_BIN_DIR, nodeCgroupParent, startNodeDaemons } from "./node-daemons.js";

/** A running real node. */
export interface RealNode {
  name: string;
  lab: Lab;
  /** Log files of its containerd, kubelet and kube-proxy. */
  logs: Record<string, string>;
  /** Stops the daemons, then the lab (every container dies with the worker's PID namespace), then removes its cgroups. */
  stop(): Promise<void>;
}

/** What starting a node needs from its cluster. */
export interface RealNodeSetup {
  name: string;
  lab?: Omit<LabOptions, "node" | "controlPorts">;
  /** Whether the node's CNI masquerades pod egress (default true). */
  ipMasq?: boolean;
  /** Runs on the started lab before containerd and the kubelet (fault state, distribution markers). */
  prepare?: (lab: Lab) => Promise<void>;
  /** The kubelet's API URL (default: the labs' API address). */
  kubeletServer?: string;
  bin: NodeBinaries;
  apiPath: ApiPath;
  caData: string;
  kubeletToken: string;
  proxyToken: string;
  logDir: string;
}

/** The worker's node mounts: real directories for containerd and the kubelet, the node binaries, private sysctl copies. */
function nodeMounts(root: string, bin: NodeBinaries): NodeMounts {
  const dirs = { containerd: join(root, "node", "containerd"), kubelet: join(root, "node", "kubelet"), sysctl: join(root, "node", "sysctl") };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const binds = [{ source: dirs.containerd, target: "/var/lib/containerd" }, { source: dirs.kubelet, target: KUBELET_ROOT },
    { source: dirname(bin.kubelet), target: NODE_BIN_DIR }];
  return { binds, sysctlDir: dirs.sysctl };
}

/** Removes a cgroup directory tree bottom-up (cgroup dirs hold only control files, which rmdir takes). */
function removeCgroupTree(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) removeCgroupTree(path);
  }
  try {
    rmdirSync(dir);
  } catch {
    // still populated for a moment after its last process died: the next sweep takes it
  }
}

/** Removes the node's cgroups (and their shared parent once empty) in every hierarchy. */
export function removeNodeCgroups(node: string): void {
  for (const h of machineCgroupHierarchies()) {
    removeCgroupTree(join(h.target, nodeCgroupParent(node)));
    try {
      rmdirSync(join(h.target, nodeCgroupParent(node), ".."));
    } catch {
      // another node still uses it, or it never existed
    }
  }
}

/** Starts a real node; on failure everything it started is stopped again. */
export async function startRealNode(s: RealNodeSetup): Promise<RealNode> {
  const lab = await startLab({ ...s.lab, controlPorts: [8132], node: (root) => nodeMounts(root, s.bin) });
  const daemons: ManagedProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const d of [...daemons].reverse()) await stopProcess(d, 3000);
    await lab.stop();
    removeNodeCgroups(s.name);
  };
  try {
    await s.apiPath.serveIn(lab);
    await s.prepare?.(lab);
    daemons.push(await startContainerd(lab, s.bin, s.logDir, s.ipMasq ?? true));
    await importImages(lab, s.bin, [s.bin.images.pause, s.bin.images.netmedic]);
    daemons.push(...(await startNodeDaemons({ lab, node: s.name, bin: s.bin, caData: s.caData, kubeletToken: s.kubeletToken, proxyToken: s.proxyToken, logDir: s.logDir, kubeletServer: s.kubeletServer })));
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { name: s.name, lab, logs: Object.fromEntries(daemons.map((d) => [d.name, d.logPath])), stop };
}
