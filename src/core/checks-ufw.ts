/**
 * HostFirewall for ufw: an active ufw (default `deny (incoming)`, `deny (routed)`) drops pod
 * traffic that crosses the node — cross-node pod traffic and DNS fail while same-node traffic works
 * (k3s issues #777, #1719, #2935, #4624) — unless its rules allow the pod CIDR routed both ways and
 * in, and the distribution's node ports in. Judged from the agent's facts (`ufw status verbose`,
 * /etc/ufw/ufw.conf, /etc/default/ufw, /etc/ufw/user.rules), cross-checked with the pod probe.
 */
import { ANNOTATION_K3S_NODE_ARGS, ANNOTATION_RKE2_NODE_ARGS, LABEL_ROLE_CONTROL_PLANE, LABEL_ROLE_MASTER } from "../api/index.js";
import type { CheckResult, NodeContext } from "./findings.js";
import { latestProbe, probeEvidence } from "./findings.js";
import { nodeArgValue } from "./evidence.js";
import { allowancePhrase, allowanceText, missingAllowances, type UfwNeeds } from "./ufw-rules.js";

/**
 * Node ports each distribution's docs list as inbound on every node, and on servers besides
 * (k3s: flannel VXLAN 8472/udp, kubelet 10250/tcp, apiserver 6443/tcp; RKE2 adds its supervisor
 * 9345/tcp; k0s: the k0s-worker ports). Other distributions: the kubelet's port only.
 */
const NODE_PORTS: Record<string, { all: string[]; servers: string[] }> = {
  k3s: { all: ["8472/udp", "10250/tcp"], servers: ["6443/tcp"] },
  rke2: { all: ["8472/udp", "10250/tcp"], servers: ["6443/tcp", "9345/tcp"] },
  k0s: { all: ["179/tcp", "4789/udp", "10250/tcp"], servers: [] },
};
const OTHER_PORTS = { all: ["10250/tcp"], servers: [] };

function isServer(context: NodeContext): boolean {
  const labels = context.node.labels;
  return [LABEL_ROLE_CONTROL_PLANE, LABEL_ROLE_MASTER].some((label) => labels[label] !== undefined && labels[label] !== "false");
}

/**
 * What pod traffic needs from ufw on this node: its pod CIDR (reported, else the Node's
 * spec.podCIDR), the service CIDR when the node's k3s/RKE2 args name it (never a guessed
 * default), and the distribution's node ports. undefined when the pod CIDR is unknown.
 */
export function ufwNeeds(context: NodeContext): UfwNeeds | undefined {
  const podCIDR = context.facts?.podNetwork?.cidr ?? context.node.podCIDR;
  if (!podCIDR) return undefined;
  const annotations = context.node.annotations;
  const serviceCIDR = nodeArgValue(annotations[ANNOTATION_K3S_NODE_ARGS] ?? annotations[ANNOTATION_RKE2_NODE_ARGS], ["--service-cidr"]);
  const table = NODE_PORTS[context.facts?.distribution ?? ""] ?? OTHER_PORTS;
  const ports = [...table.all, ...(isServer(context) ? table.servers : [])];
  return { podCIDR, ...(serviceCIDR ? { serviceCIDR } : {}), ports };
}

function verdict(status: CheckResult["status"], reason: string, message: string, evidence: string[]): CheckResult {
  return { type: "HostFirewall", status, reason, message, evidence };
}

/**
 * The ufw verdict for HostFirewall; undefined when the agent reported no ufw (an older agent) or
 * ufw is not installed. A pod probe that gets through proves forwarded pod traffic accepted
 * whatever ufw's rules say — another FORWARD rule accepted it first, as the CNI's own rules do
 * (flannel accepts its cluster CIDR both ways) — so the routed allowances are then not counted as
 * missing; the incoming ones are not visible to that probe and still count.
 */
export function checkUfw(context: NodeContext): CheckResult | undefined {
  const ufw = context.facts?.ufw;
  if (!ufw || ufw.state === "notInstalled") return undefined;
  if (ufw.state === "inactive") return verdict("True", "NotRunning", "ufw is installed but inactive", []);
  if (ufw.state === "unknown") return verdict("Unknown", "Unknown", "ufw is installed but `ufw status` failed (see facts.errors)", []);
  const needs = ufwNeeds(context);
  const evidence = [`ufw active; default: ${ufw.defaults ?? `input ${ufw.defaultInputPolicy ?? "?"}, forward ${ufw.defaultForwardPolicy ?? "?"}`}; ${ufw.rules?.length ?? "unreadable"} user rule(s)`];
  if (!needs) return verdict("Unknown", "Unknown", "ufw is active but the node's pod CIDR is unknown", evidence);
  const missing = missingAllowances(ufw, needs);
  if (!missing) return verdict("Unknown", "Unknown", "ufw is active but its rules or default policies could not be read (see facts.errors)", evidence);
  const podProbe = latestProbe(context.probes, "Pod", "Konnectivity") ?? latestProbe(context.probes, "Pod", "APIServer");
  if (podProbe) evidence.push(probeEvidence(podProbe));
  const counted = podProbe?.result === "ok" ? missing.filter((a) => a.kind !== "routeFrom" && a.kind !== "routeTo") : missing;
  if (counted.length === 0) return verdict("True", "Allowing", "ufw lets pod traffic through", evidence);
  evidence.push(...counted.map((a) => `no ufw rule for: ${allowanceText(a)}`));
  const defaults = ufw.defaults ? ` (default: ${ufw.defaults})` : "";
  const message = `ufw${defaults} drops pod traffic: nothing allows ${counted.map(allowancePhrase).join(", ")}`;
  return verdict("False", "UfwBlockingPodTraffic", message, evidence);
}
