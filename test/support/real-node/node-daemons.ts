/**
 * The node's kubelet and kube-proxy, v1.20.2 from the same Debian source as the control plane, run
 * inside the lab worker like containerd. Every flag that would touch this machine points into the
 * lab instead: root and cert dirs on the node's real scratch dir, the volume-plugin dir under the
 * /var overlay (its default is under /usr/libexec), cgroups under a parent of the test's own, and no
 * conntrack sizing (machine-wide), OOM scores left at 0 (this sandbox cannot lower one: no
 * CAP_SYS_RESOURCE); the kernel tunables the kubelet writes are the lab's copies (lab/node-mounts.ts).
 */
import { basename, join } from "node:path";
import { stringify } from "yaml";
import type { Lab } from "../lab/index.js";
import { nsenterArgv } from "../lab/run.js";
import { startProcess, type ManagedProcess } from "../control-plane/processes.js";
import { API_ADDRESS, API_PORT } from "./api-path.js";
import { CONTAINERD_SOCKET, NODE_NAMESPACES } from "./containerd.js";
import type { NodeBinaries } from "./binaries.js";

/**
 * Where the worker sees the kubelet and kube-proxy binaries: their cache directory bound in, since it
 * may live under /tmp, which the worker's private /tmp hides.
 */
export const NODE_BIN_DIR = "/var/lib/netmedic-node/bin";

/** Where the kubelet keeps pods' volumes and state inside the worker (bound from a real directory). */
export const KUBELET_ROOT = "/var/lib/kubelet";
/** The pod CIDR of the whole lab cluster (each node's is a /24 in it). */
export const CLUSTER_CIDR = "10.244.0.0/16";

/** The cgroup parent of a node's pods, below this machine's root cgroup (removed after the lab stops). */
export function nodeCgroupParent(node: string): string {
  return `/netmedic-real-nodes/${node}`;
}

/** The API URL every node daemon uses unless the node says otherwise. */
export const NODE_API_URL = `https://${API_ADDRESS}:${API_PORT}`;

/** Writes a kubeconfig inside the worker for `server`, with a static token. */
async function writeNodeKubeconfig(lab: Lab, path: string, server: string, caData: string, user: string, token: string): Promise<void> {
  const config = {
    apiVersion: "v1", kind: "Config", "current-context": "lab",
    clusters: [{ name: "lab", cluster: { server, "certificate-authority-data": caData } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: "lab", context: { cluster: "lab", user } }],
  };
  await lab.writeFile(path, stringify(config), 0o600);
}

/** What a node's daemons are started with. */
export interface NodeDaemonSetup {
  lab: Lab;
  node: string;
  bin: NodeBinaries;
  caData: string;
  kubeletToken: string;
  proxyToken: string;
  logDir: string;
  /** The kubelet's API URL (default NODE_API_URL; a k3s node's is its agent's load balancer). */
  kubeletServer?: string;
}

/** kubelet flags (v1.20: flags, not a config file, as docs/architecture.md §8.6 verified). */
function kubeletArgv(s: NodeDaemonSetup): string[] {
  return [`${NODE_BIN_DIR}/${basename(s.bin.kubelet)}`, "--kubeconfig=/etc/kubernetes/kubelet.conf", `--hostname-override=${s.node}`, `--node-ip=${s.lab.addresses.workerUplink}`,
    "--container-runtime=remote", `--container-runtime-endpoint=unix://${CONTAINERD_SOCKET}`, `--containerd=${CONTAINERD_SOCKET}`,
    "--cgroup-driver=cgroupfs", "--cgroups-per-qos=false", "--enforce-node-allocatable=", `--cgroup-root=${nodeCgroupParent(s.node)}`,
    "--fail-swap-on=false", `--root-dir=${KUBELET_ROOT}`, `--cert-dir=${KUBELET_ROOT}/pki`, `--volume-plugin-dir=${KUBELET_ROOT}/volume-plugins`,
    "--network-plugin=cni", `--cni-bin-dir=${s.bin.cniBinDir}`, "--cni-conf-dir=/etc/cni/net.d", "--read-only-port=0",
    "--resolv-conf=/etc/resolv.conf", "--image-gc-high-threshold=100", "--eviction-hard=", "--node-status-update-frequency=4s",
    "--sync-frequency=10s", "--oom-score-adj=0", "--v=1"];
}

/** kube-proxy in iptables mode in the worker's network namespace; conntrack sizing left alone. */
function kubeProxyArgv(s: NodeDaemonSetup): string[] {
  return [`${NODE_BIN_DIR}/${basename(s.bin.kubeProxy)}`, "--kubeconfig=/etc/kubernetes/kube-proxy.conf", `--hostname-override=${s.node}`, "--proxy-mode=iptables",
    `--cluster-cidr=${CLUSTER_CIDR}`, "--conntrack-max-per-core=0", "--conntrack-tcp-timeout-established=0s", "--conntrack-tcp-timeout-close-wait=0s",
    "--metrics-bind-address=127.0.0.1:10249", "--healthz-bind-address=127.0.0.1:10256", "--oom-score-adj=0", "--v=1"];
}

/** Starts kubelet and kube-proxy inside the worker; both die with the lab. */
export async function startNodeDaemons(s: NodeDaemonSetup): Promise<ManagedProcess[]> {
  await writeNodeKubeconfig(s.lab, "/etc/kubernetes/kubelet.conf", s.kubeletServer ?? NODE_API_URL, s.caData, `system:node:${s.node}`, s.kubeletToken);
  await writeNodeKubeconfig(s.lab, "/etc/kubernetes/kube-proxy.conf", NODE_API_URL, s.caData, "system:kube-proxy", s.proxyToken);
  const start = (name: string, argv: string[]): ManagedProcess =>
    startProcess(`${name}-${s.node}`, nsenterArgv(s.lab.workerPid, NODE_NAMESPACES, argv), join(s.logDir, `${name}-${s.node}.log`));
  return [start("kubelet", kubeletArgv(s)), start("kube-proxy", kubeProxyArgv(s))];
}
