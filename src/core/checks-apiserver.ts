/**
 * APIServerEndpoint: does the server a k3s/RKE2 node agent is configured with actually serve the
 * Kubernetes API? An etcd-only server (label etcd=true without control-plane/master, or a reply
 * "apiserver disabled") does not; NotReady corroborates. Contradictory evidence yields Unknown.
 */
import { LABEL_ROLE_CONTROL_PLANE, LABEL_ROLE_ETCD, LABEL_ROLE_MASTER, ANNOTATION_K3S_NODE_ARGS, ANNOTATION_RKE2_NODE_ARGS } from "../api/index.js";
import type { NodeView } from "./observation.js";
import type { CheckResult, NodeContext } from "./findings.js";
import { latestProbe, probeEvidence } from "./findings.js";
import { hostOf, serverFromNodeArgs } from "./evidence.js";

/** The server URLs the node's agent is configured with: agent facts first, else the node-args annotation. */
function configuredServers(context: NodeContext): string[] {
  const reported = context.facts?.apiServer?.configured ?? [];
  if (reported.length > 0) return reported;
  const annotations = context.node.annotations;
  const fromArgs = serverFromNodeArgs(annotations[ANNOTATION_K3S_NODE_ARGS] ?? annotations[ANNOTATION_RKE2_NODE_ARGS]);
  return fromArgs ? [fromArgs] : [];
}

/** Role labels count when present and not "false": kubeadm sets "", k3s and RKE2 set "true". */
function hasRole(node: NodeView, label: string): boolean {
  const value = node.labels[label];
  return value !== undefined && value !== "false";
}

/** Whether a Node is an etcd-only server: etcd role without control-plane/master role. */
function isEtcdOnly(node: NodeView): boolean {
  return hasRole(node, LABEL_ROLE_ETCD) && !hasRole(node, LABEL_ROLE_CONTROL_PLANE) && !hasRole(node, LABEL_ROLE_MASTER);
}

function runsAPIServer(node: NodeView, live: Set<string>): boolean {
  return hasRole(node, LABEL_ROLE_CONTROL_PLANE) || hasRole(node, LABEL_ROLE_MASTER) || node.addresses.some((a) => live.has(a.address));
}

function nodeWithAddress(nodes: NodeView[], host: string): NodeView | undefined {
  return nodes.find((node) => node.addresses.some((address) => address.address === host) || node.name === host);
}

function result(status: CheckResult["status"], reason: string, message: string, evidence: string[]): CheckResult {
  return { type: "APIServerEndpoint", status, reason, message, evidence };
}

/** The APIServerEndpoint verdict for one node. */
export function checkAPIServerEndpoint(context: NodeContext): CheckResult {
  const servers = configuredServers(context);
  if (servers.length === 0) return result("True", "NotApplicable", "no configured k3s/RKE2 server on this node", []);
  const { observation, node } = context;
  const live = new Set(observation.apiServerEndpoints?.addresses ?? []);
  if (runsAPIServer(node, live)) return result("True", "NotApplicable", "this node runs an apiserver; its kubelet uses the local one", []);
  const probe = latestProbe(context.probes, "Host", "ConfiguredServer");
  const evidence = [`configured server: ${servers.join(", ")}`];
  if (probe) evidence.push(probeEvidence(probe));
  if (node.ready !== "True") evidence.push(`Node Ready=${node.ready}${node.readyReason ? ` (${node.readyReason})` : ""}`);
  const disabledReply = probe?.detail !== undefined && /apiserver disabled/i.test(probe.detail);
  const hosts = servers.map((server) => hostOf(server) ?? server);
  const etcdOnly = hosts.map((host) => nodeWithAddress(observation.nodes, host)).find((n) => n && isEtcdOnly(n));
  if (etcdOnly) evidence.push(`node ${etcdOnly.name} is etcd-only (${LABEL_ROLE_ETCD}=true, no control-plane role)`);
  const servesAPI = probe?.result === "ok" && probe.detail !== undefined && /serves the API|apiserver ok/i.test(probe.detail);
  if (disabledReply || (etcdOnly && !hosts.some((host) => live.has(host)))) {
    if (servesAPI) return result("Unknown", "Unknown", "configured server is labelled etcd-only but answered as an apiserver: contradictory evidence", evidence);
    const message = `configured server ${servers[0]} runs no apiserver (etcd-only): the node agent cannot reach the API through it`;
    return result("False", "EtcdOnlyEndpoint", message, evidence);
  }
  if (hosts.some((host) => live.has(host))) return result("True", "Healthy", `configured server ${servers[0]} is a live apiserver`, evidence);
  if (probe && probe.result !== "ok" && live.size > 0) {
    return result("False", "Unreachable", `configured server ${servers[0]} is not a live apiserver and does not answer (${probe.result})`, evidence);
  }
  return result("Unknown", "Unknown", `cannot tell whether ${servers[0]} serves the API`, evidence);
}
