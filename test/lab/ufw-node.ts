// A k3s agent node on Ubuntu with ufw, on the node lab: no firewalld running, forwarding and bridge
// netfilter on (k3s sets both), the CNI's own masquerade (flannel's POSTROUTING rule), and Debian's
// real ufw on the worker's own netfilter. ufw's files are the machine's as the lab's /etc overlay
// shows them, so every write lands in the lab's scratch layer (docs/architecture.md §8.3).
import type { KubeNode, KubePod, Observation } from "../../src/core/index.js";
import { buildObservation, diagnoseNode, type NodeDiagnosis } from "../../src/core/index.js";
import type { NetworkHealth } from "../../src/api/index.js";
import { startLab, type Lab } from "../support/lab/index.js";

/** The join token the lab's k3s files carry (a secret; never reported). */
export const UFW_LAB_TOKEN = "K10feedfacecafe0123456789abcdef::server:Ufw-Lab-Secret";

/** Runs a command in the worker and fails with its output unless it exits 0. */
export async function inWorker(lab: Lab, ...argv: string[]): Promise<string> {
  const result = await lab.execIn("worker", argv);
  if (result.code !== 0) throw new Error(`${argv.join(" ")} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}

/** Makes the lab worker a k3s agent whose CNI masquerades pod traffic leaving by the uplink. */
export async function makeK3sUfwNode(lab: Lab): Promise<void> {
  const { control, podCIDR } = lab.addresses;
  await lab.writeK3sHostRoot({ server: `https://${control}:6443`, token: UFW_LAB_TOKEN });
  await inWorker(lab, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", podCIDR, "!", "-d", podCIDR, "-j", "MASQUERADE");
}

/**
 * A k3s agent node on a new lab (forwarding and bridge netfilter on, no firewalld) with `etcDir`
 * made in the worker's /etc scratch layer: a directory a node with that tool has and this machine lacks.
 */
export async function startK3sNodeLab(etcDir: string): Promise<Lab> {
  const lab = await startLab({ firewalld: false, ipForward: 1, bridgeNfCallIptables: 1 });
  await makeK3sUfwNode(lab);
  await inWorker(lab, "mkdir", "-p", etcDir);
  return lab;
}

/** The lab worker as its Node, and the konnectivity-agent on it dialing the control host. */
function clusterObjects(lab: Lab): { node: KubeNode; pod: KubePod } {
  const { control, workerUplink, podCIDR } = lab.addresses;
  const node: KubeNode = {
    metadata: { name: lab.hostname, labels: { "kubernetes.io/hostname": lab.hostname }, annotations: {} },
    spec: { podCIDR },
    status: { addresses: [{ type: "InternalIP", address: workerUplink }], conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }] },
  };
  const pod: KubePod = {
    metadata: { name: `konnectivity-agent-${lab.hostname}`, namespace: "kube-system", labels: { "k8s-app": "konnectivity-agent" } },
    spec: { nodeName: lab.hostname, containers: [{ args: [`--proxy-server-host=${control}`, "--proxy-server-port=8132"] }] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
  };
  return { node, pod };
}

/** What the controller would conclude from the agent's report now (core's diagnosis, default staleness). */
export function diagnoseLabNode(lab: Lab, health: NetworkHealth): NodeDiagnosis {
  const { node, pod } = clusterObjects(lab);
  const observation: Observation = buildObservation({
    now: new Date().toISOString(),
    nodes: [node],
    apiServices: [],
    konnectivityPods: [pod],
    kubernetesEndpoints: { subsets: [{ addresses: [{ ip: lab.addresses.control }], ports: [{ name: "https", port: 6443 }] }] },
    networkHealths: [health],
    logs: {},
  });
  const diagnosis = diagnoseNode(observation, lab.hostname, 750);
  if (!diagnosis) throw new Error("lab: no diagnosis for the lab node");
  return diagnosis;
}

/** Condition type → reason, for compact assertions. */
export function reasons(diagnosis: NodeDiagnosis): Record<string, string> {
  return { Ready: diagnosis.ready.reason, ...Object.fromEntries(Object.values(diagnosis.checks).map((c) => [c.type, c.reason])) };
}
