/**
 * diagnose: Observation → per-node diagnosis (checks, root cause, summary, evidence, affected
 * objects, supported fixes) plus cluster-level findings no node explains. Pure and deterministic.
 */
import type { CheckResult, EvidenceCheckType, NodeContext, NodeDiagnosis } from "./findings.js";
import type { APIServiceView, Observation } from "./observation.js";
import { checkAgentReporting, checkBridgeNetfilter, checkHostFirewall, checkIPForwarding } from "./checks-host.js";
import { checkKonnectivity } from "./checks-konnectivity.js";
import { checkAPIServerEndpoint } from "./checks-apiserver.js";
import { checkReversePathFilter } from "./checks-rp-filter.js";
import { checkKernelModules } from "./checks-modules.js";
import { checkVXLANChecksumOffload } from "./checks-vxlan.js";
import { checkNetworkManager } from "./checks-network-manager.js";
import { checkConntrackTable } from "./checks-conntrack.js";
import { checkIptablesBackends } from "./checks-iptables.js";
import { checkKubeletDNS } from "./checks-kubelet-dns.js";
import { checkOverlayMTU } from "./checks-mtu.js";
import { chooseFixes, probeTargets } from "./fixes.js";
import { nodeContext } from "./node-context.js";
import { classifyAPIServiceFailure, type APIServiceFailure } from "./evidence.js";

/** An unavailable APIService and why, with the nodes it is attributed to (empty when none). */
export interface APIServiceFinding {
  name: string;
  failure: APIServiceFailure;
  message: string;
  nodes: string[];
}

/** The whole cluster's diagnosis. */
export interface ClusterDiagnosis {
  nodes: NodeDiagnosis[];
  apiServices: APIServiceFinding[];
}

/** Root-cause precedence: the first failing (type, reason) in this list explains the rest. */
const ROOT_CAUSE_ORDER: Array<[EvidenceCheckType, string]> = [
  ["APIServerEndpoint", "EtcdOnlyEndpoint"],
  ["APIServerEndpoint", "Unreachable"],
  ["KonnectivityReachable", "ControlPlaneUnreachable"],
  ["HostFirewall", "RejectingPodTraffic"],
  ["HostFirewall", "UfwBlockingPodTraffic"],
  ["IPForwarding", "Disabled"],
  ["HostFirewall", "MasqueradeDisabled"],
  ["BridgeNetfilter", "ModuleNotLoaded"],
  ["BridgeNetfilter", "Disabled"],
  ["KernelModules", "ModuleNotInstalled"],
  ["KernelModules", "ModuleNotLoaded"],
  ["ReversePathFilter", "StrictOnPodLinks"],
  ["VXLANChecksumOffload", "BadChecksums"],
  ["NetworkManager", "ManagingCNILinks"],
  ["NetworkManager", "CloudSetupEnabled"],
  ["IptablesBackends", "BothBackendsHoldKubeRules"],
  ["OverlayMTU", "TooLargeForUnderlay"],
  ["KubeletDNS", "LoopbackNameserver"],
  ["ConntrackTable", "NearlyFull"],
];

function runChecks(context: NodeContext): Record<EvidenceCheckType, CheckResult> {
  return {
    IPForwarding: checkIPForwarding(context),
    BridgeNetfilter: checkBridgeNetfilter(context),
    HostFirewall: checkHostFirewall(context),
    KonnectivityReachable: checkKonnectivity(context),
    APIServerEndpoint: checkAPIServerEndpoint(context),
    ReversePathFilter: checkReversePathFilter(context),
    KernelModules: checkKernelModules(context),
    VXLANChecksumOffload: checkVXLANChecksumOffload(context),
    NetworkManager: checkNetworkManager(context),
    ConntrackTable: checkConntrackTable(context),
    IptablesBackends: checkIptablesBackends(context),
    KubeletDNS: checkKubeletDNS(context),
    OverlayMTU: checkOverlayMTU(context),
    AgentReporting: checkAgentReporting(context),
  };
}

function rootCauseOf(checks: Record<EvidenceCheckType, CheckResult>): CheckResult | undefined {
  const failing = Object.values(checks).filter((check) => check.status === "False");
  for (const [type, reason] of ROOT_CAUSE_ORDER) {
    const match = failing.find((check) => check.type === type && check.reason === reason);
    if (match) return match;
  }
  return failing.find((check) => check.type !== "AgentReporting") ?? failing[0];
}

function readyOf(checks: Record<EvidenceCheckType, CheckResult>, root: CheckResult | undefined): CheckResult {
  const all = Object.values(checks);
  if (root) {
    const failing = all.filter((c) => c.status === "False").map((c) => `${c.type}=${c.reason}`);
    return { type: "Ready", status: "False", reason: "Degraded", message: failing.join(", "), evidence: [] };
  }
  const unknown = all.filter((c) => c.status === "Unknown").map((c) => c.type);
  if (unknown.length > 0) return { type: "Ready", status: "Unknown", reason: "Unknown", message: `not yet known: ${unknown.join(", ")}`, evidence: [] };
  return { type: "Ready", status: "True", reason: "Healthy", message: "all checks pass", evidence: [] };
}

function summaryOf(node: string, root: CheckResult | undefined, checks: Record<EvidenceCheckType, CheckResult>, affects: string[]): string {
  if (!root) return checks.AgentReporting.status === "True" ? `${node}: healthy` : `${node}: ${checks.AgentReporting.message}`;
  const others = Object.values(checks)
    .filter((c) => c.status === "False" && c !== root && c.type !== "KonnectivityReachable")
    .map((c) => `${c.type}=${c.reason}`);
  const also = others.length ? `; also ${others.join(", ")}` : "";
  const impact = affects.length ? ` → ${affects.join(", ")} unavailable` : "";
  return `${node}: ${root.message}${also}${impact}`;
}

function implicates(failure: APIServiceFailure, checks: Record<EvidenceCheckType, CheckResult>): boolean {
  if (failure === "NoAgentAvailable") return checks.KonnectivityReachable.status === "False";
  if (failure === "Timeout") {
    return checks.HostFirewall.status === "False" || checks.IPForwarding.status === "False" || checks.KonnectivityReachable.status === "False";
  }
  return false;
}

/** Unavailable aggregated APIServices with why, before attribution. */
function failingAPIServices(apiServices: APIServiceView[]): Array<APIServiceView & { failure: APIServiceFailure }> {
  return apiServices
    .filter((service) => service.available === "False" && service.service)
    .map((service) => ({ ...service, failure: classifyAPIServiceFailure(service.reason, service.message) }));
}

/**
 * Diagnoses one node; `undefined` when the observation has no such Node. Cost is independent of
 * cluster size but for the node and APIService lists. `heartbeatSeconds` (the agents') only
 * explains the staleness limit in AgentReporting's message.
 */
export function diagnoseNode(observation: Observation, name: string, staleAfterSeconds: number, heartbeatSeconds?: number): NodeDiagnosis | undefined {
  const context = nodeContext(observation, name, staleAfterSeconds, heartbeatSeconds);
  if (!context) return undefined;
  const checks = runChecks(context);
  const root = rootCauseOf(checks);
  const implicated = failingAPIServices(observation.apiServices).filter((s) => implicates(s.failure, checks));
  const affects = implicated.map((s) => `apiservice/${s.name}`);
  const apiEvidence = implicated.map((s) => `apiservice/${s.name} Available=False ${s.reason ?? ""}: ${s.message ?? ""}`);
  const evidence = [...new Set(Object.values(checks).filter((c) => c.status !== "True").flatMap((c) => c.evidence).concat(apiEvidence))];
  const { fixes, noFixReason } = chooseFixes(context, checks);
  return {
    node: name,
    checks,
    ready: readyOf(checks, root),
    summary: summaryOf(name, root, checks, affects),
    rootCause: root?.reason ?? "",
    evidence,
    affects,
    fixes,
    noFixReason,
    targets: probeTargets(context),
  };
}

/** Diagnoses every node, and attributes each unavailable APIService to the nodes whose faults explain it. */
export function diagnose(observation: Observation, staleAfterSeconds: number): ClusterDiagnosis {
  const nodes = observation.nodes.flatMap((node) => diagnoseNode(observation, node.name, staleAfterSeconds) ?? []);
  const apiServices = failingAPIServices(observation.apiServices).map((service) => ({
    name: service.name,
    failure: service.failure,
    message: `${service.reason ?? ""}: ${service.message ?? ""}`,
    nodes: nodes.filter((n) => n.affects.includes(`apiservice/${service.name}`)).map((n) => n.node).sort(),
  }));
  return { nodes, apiServices };
}
