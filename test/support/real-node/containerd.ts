/**
 * A node's containerd: Debian's 1.6 with its CRI plugin, run inside the lab worker's namespaces
 * (mount, network, UTS, IPC and PID: containers with hostPID see the worker, not this machine),
 * its state under the worker's scratch /run and /var/lib/containerd (a real directory: overlayfs
 * snapshots cannot live on the lab's /var overlay), and the images imported from archives — no
 * registry is reachable here, so the CRI never pulls.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "../lab/index.js";
import { mustRun, nsenterArgv, waitFor } from "../lab/run.js";
import { startProcess, type ManagedProcess } from "../control-plane/processes.js";
import { PAUSE_IMAGE, type NodeBinaries } from "./binaries.js";

/** Where the node's containerd listens, as the worker sees it. */
export const CONTAINERD_SOCKET = "/run/containerd/containerd.sock";
/** The worker namespaces a node daemon runs in. */
export const NODE_NAMESPACES = ["mount", "net", "uts", "ipc", "pid"] as const;

/**
 * The CRI config: runc v2 shims with cgroupfs (the kubelet's driver here), the pause image built
 * locally, the CNI plugins from Debian, no AppArmor (no profile loader in the lab), and the
 * snapshotters that cannot work here disabled so their errors do not fill the log. This sandbox has
 * no CAP_SYS_RESOURCE, so no process may lower its OOM score: restrict_oom_score_adj keeps the
 * kubelet's negative scores (-998 for sandboxes) at containerd's own instead of failing every pod.
 */
export function containerdConfig(): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    "version = 2", 'root = "/var/lib/containerd"', 'state = "/run/containerd"',
    'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]',
    "[grpc]", `  address = "${CONTAINERD_SOCKET}"`,
    `[${cri}]`, `  sandbox_image = "${PAUSE_IMAGE}"`, "  disable_apparmor = true", "  restrict_oom_score_adj = true",
    `[${cri}.containerd]`, '  snapshotter = "overlayfs"', '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`, '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`, "  SystemdCgroup = false",
    `[${cri}.cni]`, '  bin_dir = "/usr/lib/cni"', '  conf_dir = "/etc/cni/net.d"', "",
  ].join("\n");
}

/**
 * The pod network: the CNI bridge plugin on the lab's existing `cni0` bridge, addresses from the
 * node's pod CIDR past the lab's own pod. isGateway is off because the lab already gave cni0 its
 * gateway address, and because with it the plugin turns on net.ipv4.ip_forward — which would hide
 * the k0s incident's forwarding fault (a CNI that forwards only on its own bridge, docs/architecture.md §8.1).
 * ipMasq: whether the CNI masquerades pod egress itself (a healthy node's CNI does; the k0s
 * incident's worker relied on firewalld's masquerade).
 */
export function cniConfig(podCIDR: string, gateway: string, ipMasq: boolean): string {
  const prefix = podCIDR.split(".").slice(0, 3).join(".");
  return JSON.stringify({
    cniVersion: "0.4.0", name: "lab-pods",
    plugins: [{
      type: "bridge", bridge: "cni0", isGateway: false, ipMasq, hairpinMode: true,
      ipam: { type: "host-local", ranges: [[{ subnet: podCIDR, rangeStart: `${prefix}.10`, rangeEnd: `${prefix}.250`, gateway }]], routes: [{ dst: "0.0.0.0/0", gw: gateway }] },
    }],
  }, null, 2);
}

/** Starts containerd in the worker and waits for its socket; the process dies with the lab. */
export async function startContainerd(lab: Lab, bin: NodeBinaries, logDir: string, ipMasq: boolean): Promise<ManagedProcess> {
  await lab.writeFile("/etc/containerd/config.toml", containerdConfig());
  await lab.writeFile("/etc/cni/net.d/10-lab-pods.conflist", cniConfig(lab.addresses.podCIDR, lab.addresses.bridgeIP, ipMasq));
  const daemon = startProcess(`containerd-${lab.index}`, nsenterArgv(lab.workerPid, NODE_NAMESPACES, [bin.containerd, "--config", "/etc/containerd/config.toml"]),
    join(logDir, `containerd-${lab.index}.log`));
  const socket = lab.scratchPathOf(CONTAINERD_SOCKET);
  await waitFor("containerd's socket", 20_000, () => {
    if (daemon.child.exitCode !== null) throw new Error(`containerd exited ${daemon.child.exitCode}; see ${daemon.logPath}`);
    return existsSync(socket) || undefined;
  });
  return daemon;
}

/** Imports image archives into the node's containerd (namespace k8s.io, where the CRI looks). */
export async function importImages(lab: Lab, bin: NodeBinaries, archives: readonly string[]): Promise<void> {
  const socket = lab.scratchPathOf(CONTAINERD_SOCKET);
  for (const archive of archives) {
    await mustRun([bin.ctr, "--address", socket, "--namespace", "k8s.io", "images", "import", archive], { timeoutMs: 180_000 });
  }
}
