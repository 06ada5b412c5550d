/**
 * Checks of the node's own state, from the agent's facts: is the agent reporting, IP forwarding,
 * bridge netfilter and the host firewall (firewalld here, ufw in checks-ufw.ts).
 */
import type { CheckResult, NodeContext, Staleness } from "./findings.js";
import { staleAfterForHeartbeat } from "./policy.js";
import { latestProbe, probeEvidence, unknownCheck } from "./findings.js";
import { checkUfw } from "./checks-ufw.js";
import { agentLeaseName, type AgentHeartbeat } from "./agent-heartbeat.js";

const NO_FACTS = "no host facts reported by the netmedic agent on this node";

/**
 * AgentReporting: the agent's last heartbeat — the later of its last report and its Lease's
 * renewal — judged against the staleness limit. A Stale message names the newer signal and its
 * time (it stays as it is while the agent is silent); the Reporting message names neither, since a
 * message that moved with every renewal would make the controller rewrite the NetworkHealth the
 * Lease exists to keep still.
 */
export function checkAgentReporting(context: NodeContext): CheckResult {
  const heartbeat = context.heartbeat;
  if (!heartbeat && context.firstReportDue !== undefined) {
    // Not an alarm yet: Unknown until the staleness limit has passed since the object was created.
    return { type: "AgentReporting", status: "Unknown", reason: "AwaitingFirstReport", message: "waiting for the netmedic agent's first report", evidence: [] };
  }
  if (!heartbeat) {
    return { type: "AgentReporting", status: "False", reason: "NotRunning", message: "the netmedic agent on this node has never reported", evidence: [] };
  }
  if (!context.reportFresh) {
    const message = `${lastSignOfLife(heartbeat, context.node.name)}: ${stalenessRule(context.staleness)}`;
    return { type: "AgentReporting", status: "False", reason: "Stale", message, evidence: [message] };
  }
  return { type: "AgentReporting", status: "True", reason: "Reporting", message: `the netmedic agent reports; ${stalenessRule(context.staleness)}`, evidence: [] };
}

/** The newer of the agent's two signals, in words. */
function lastSignOfLife(heartbeat: AgentHeartbeat, node: string): string {
  if (heartbeat.source === "report") return `the netmedic agent's last report was at ${heartbeat.time}`;
  return `the netmedic agent's heartbeat Lease ${agentLeaseName(node)} was last renewed at ${heartbeat.time} (last report at ${heartbeat.reportTime})`;
}

/**
 * The staleness limit in words, with the heartbeat it follows (an agent renews its Lease once per
 * heartbeat and reports on change; one of an older release reports at least once per heartbeat).
 */
function stalenessRule({ staleAfterSeconds, heartbeatSeconds }: Staleness): string {
  const rule = `stale after ${staleAfterSeconds} s without a report or a renewal of its heartbeat Lease`;
  if (!heartbeatSeconds) return rule;
  if (staleAfterSeconds === staleAfterForHeartbeat(heartbeatSeconds)) return `${rule} (2.5 × the agents' ${heartbeatSeconds} s heartbeat)`;
  return `${rule} (the agents' heartbeat is ${heartbeatSeconds} s)`;
}

/** IPForwarding: net.ipv4.ip_forward (with the pod interface's own flag as context). */
export function checkIPForwarding(context: NodeContext): CheckResult {
  const sysctl = context.facts?.sysctl;
  if (sysctl?.ipForward === undefined) return unknownCheck("IPForwarding", context.facts ? "net.ipv4.ip_forward could not be read" : NO_FACTS);
  const evidence = [`net.ipv4.ip_forward = ${sysctl.ipForward}`];
  const podInterface = context.facts?.podNetwork?.interface;
  if (podInterface && sysctl.podInterfaceForwarding !== undefined) {
    evidence.push(`net.ipv4.conf.${podInterface}.forwarding = ${sysctl.podInterfaceForwarding}`);
  }
  if (sysctl.ipForward === 1) {
    return { type: "IPForwarding", status: "True", reason: "Enabled", message: evidence.join(", "), evidence };
  }
  const message = `${evidence.join(", ")}: the node does not forward pod traffic`;
  return { type: "IPForwarding", status: "False", reason: "Disabled", message, evidence };
}

/** BridgeNetfilter: br_netfilter present and bridge-nf-call-iptables on. */
export function checkBridgeNetfilter(context: NodeContext): CheckResult {
  const sysctl = context.facts?.sysctl;
  if (!sysctl || sysctl.bridgeNetfilterLoaded === undefined) {
    return unknownCheck("BridgeNetfilter", context.facts ? "bridge netfilter state could not be read" : NO_FACTS);
  }
  if (!sysctl.bridgeNetfilterLoaded) {
    const message = "br_netfilter is not loaded (/proc/sys/net/bridge is absent): bridged pod traffic bypasses iptables";
    return { type: "BridgeNetfilter", status: "False", reason: "ModuleNotLoaded", message, evidence: [message] };
  }
  const evidence = [`net.bridge.bridge-nf-call-iptables = ${sysctl.bridgeNfCallIptables ?? "unreadable"}`];
  if (sysctl.bridgeNfCallIp6tables !== undefined) evidence.push(`net.bridge.bridge-nf-call-ip6tables = ${sysctl.bridgeNfCallIp6tables}`);
  if (sysctl.bridgeNfCallIptables === 1) {
    return { type: "BridgeNetfilter", status: "True", reason: "Enabled", message: evidence.join(", "), evidence };
  }
  if (sysctl.bridgeNfCallIptables === undefined) return unknownCheck("BridgeNetfilter", evidence.join(", "));
  const message = `${evidence.join(", ")}: bridged pod traffic bypasses iptables`;
  return { type: "BridgeNetfilter", status: "False", reason: "Disabled", message, evidence };
}

/** How much a HostFirewall verdict says against the node: a failure first, then doubt, then an active firewall. */
const WEIGHT: Record<string, number> = { NotPresent: 0, NotRunning: 1, Allowing: 2 };
const weightOf = (check: CheckResult): number => (check.status === "False" ? 4 : check.status === "Unknown" ? 3 : (WEIGHT[check.reason] ?? 2));

/**
 * HostFirewall: how the node's firewall managers treat pod traffic. A node has firewalld or ufw
 * (rarely both): each is judged on its own and the verdict that says most against the node wins,
 * firewalld's on a tie; two managers that are both off share one message.
 */
export function checkHostFirewall(context: NodeContext): CheckResult {
  const firewalld = checkFirewalld(context);
  const ufw = checkUfw(context);
  if (!ufw) return firewalld;
  if (weightOf(ufw) > weightOf(firewalld)) return ufw;
  if (firewalld.reason === "NotRunning" && ufw.reason === "NotRunning") return { ...firewalld, message: `${firewalld.message}; ${ufw.message}` };
  return firewalld;
}

/** firewalld's treatment of forwarded pod traffic, cross-checked with pod probes. */
function checkFirewalld(context: NodeContext): CheckResult {
  const firewall = context.facts?.firewall;
  if (!firewall) return unknownCheck("HostFirewall", context.facts ? "host firewall state could not be read" : NO_FACTS);
  if (firewall.manager === "none" || firewall.state === "notInstalled") {
    const message = `no host firewall manager (${context.facts?.ufw ? "firewalld or ufw" : "firewalld"}) on this node`;
    return { type: "HostFirewall", status: "True", reason: "NotPresent", message, evidence: [] };
  }
  if (firewall.state === "notRunning") {
    return { type: "HostFirewall", status: "True", reason: "NotRunning", message: "firewalld is installed but not running", evidence: [] };
  }
  const zone = firewall.podInterfaceZone || `${firewall.defaultZone ?? "default"} (default zone; pod interface in no zone)`;
  const evidence = [
    `firewalld running; pod traffic zone: ${zone}; trusted: ${firewall.podTrafficTrusted ? "yes" : "no"}`,
    `masquerade on egress zone ${firewall.egressZone ?? firewall.defaultZone ?? "?"}: ${firewall.egressMasquerade ? "yes" : "no"}`,
  ];
  const podProbe = latestProbe(context.probes, "Pod", "Konnectivity") ?? latestProbe(context.probes, "Pod", "APIServer");
  if (podProbe) evidence.push(probeEvidence(podProbe));
  if (!firewall.podTrafficTrusted && podProbe?.result !== "ok") {
    const message = "firewalld rejects forwarded pod traffic (pod interface/CIDR not trusted; REJECT icmp-host-prohibited shows as EHOSTUNREACH)";
    return { type: "HostFirewall", status: "False", reason: "RejectingPodTraffic", message, evidence };
  }
  if (!firewall.egressMasquerade && podProbe?.result !== "ok") {
    const message = `masquerade is off on the egress zone ${firewall.egressZone ?? firewall.defaultZone ?? ""}: pod traffic leaves unmasqueraded`;
    return { type: "HostFirewall", status: "False", reason: "MasqueradeDisabled", message, evidence };
  }
  return { type: "HostFirewall", status: "True", reason: "Allowing", message: "firewalld lets pod traffic through", evidence };
}
