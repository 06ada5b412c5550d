/**
 * Which node-side fixes the evidence supports (before policy): only on fresh facts, never when
 * the host network is cut off too, and never a re-point without a live apiserver to point at.
 */
import type { PlannedAction, ProbeTargets } from "../api/index.js";
import type { CheckResult, EvidenceCheckType, NodeContext } from "./findings.js";
import { ufwNeeds } from "./checks-ufw.js";
import { withoutEmpty } from "./without-empty.js";
import { podLinkOwner, strictSettings } from "./checks-rp-filter.js";
import { modulesIn, packageHint, requiredModules } from "./checks-modules.js";
import { offloadedLinks } from "./checks-vxlan.js";

/** The fixes for a node and, when something is wrong that no node fix addresses, why. */
export interface FixChoice {
  fixes: PlannedAction[];
  noFixReason?: string;
}

function firewallFix(context: NodeContext, check: CheckResult): PlannedAction {
  const facts = context.facts;
  const firewall = facts?.firewall;
  return withoutEmpty({
    action: "OpenHostFirewall",
    reason: check.reason,
    podInterface: facts?.podNetwork?.interface,
    podCIDR: facts?.podNetwork?.cidr ?? context.node.podCIDR,
    egressZone: firewall?.egressZone ?? firewall?.defaultZone,
    service: facts?.distribution === "k0s" ? "k0s-worker" : undefined,
  });
}

/** OpenUfw with everything pod traffic needs from ufw (the agent adds only what is missing). */
function ufwFix(context: NodeContext, check: CheckResult): PlannedAction | string {
  const needs = ufwNeeds(context);
  if (!needs) return "the node's pod CIDR is unknown: nothing to allow in ufw";
  return { action: "OpenUfw", reason: check.reason, ...needs };
}

/**
 * LoosenReversePathFilter naming the strict links (all and default are judged again on the node).
 * Not for Cilium, which needs its per-pod links off and persists that with a glob of its own.
 */
function rpFilterFix(context: NodeContext): PlannedAction | string {
  const rp = context.facts?.rpFilter;
  if (rp && podLinkOwner(rp) === "cilium") {
    return "Cilium needs rp_filter 0 on its lxc* links: add `net.ipv4.conf.lxc*.rp_filter = 0` to a sysctl.d file sorting last (Cilium's own 99-zzz-override_cilium.conf), then restart systemd-sysctl and recreate the pods";
  }
  const links = rp ? strictSettings(rp).filter((s) => s !== "all" && s !== "default") : [];
  return { action: "LoosenReversePathFilter", reason: "StrictOnPodLinks", ...(links.length ? { links } : {}) };
}

/** LoadKernelModules for the installed-but-unloaded modules; a module not installed is for a person (a package). */
function modulesFix(context: NodeContext, fixes: PlannedAction[], reasons: string[]): void {
  const facts = context.facts?.kernelModules;
  if (!facts) return;
  const required = requiredModules(context);
  const missing = modulesIn(facts, required, "notInstalled");
  if (missing.length) reasons.push(`${missing.join(", ")} cannot be loaded: not installed for kernel ${facts.release}; install ${packageHint(facts.release)}`);
  const unloaded = modulesIn(facts, required, "available");
  if (unloaded.length) fixes.push({ action: "LoadKernelModules", reason: "ModuleNotLoaded", modules: unloaded });
}

function repointFix(context: NodeContext, check: CheckResult): PlannedAction | string {
  const distribution = context.facts?.distribution;
  if (distribution !== "k3s" && distribution !== "rke2") return `cannot re-point a ${distribution ?? "unknown"} node agent (k3s/RKE2 only)`;
  if (!(context.facts?.apiServer?.configured ?? []).length) return "the agent has not reported the configured server";
  const endpoints = context.observation.apiServerEndpoints;
  const address = endpoints?.addresses[0];
  if (!endpoints || !address) return "no live apiserver endpoint known (default/kubernetes Endpoints is empty)";
  const port = distribution === "rke2" ? 9345 : endpoints.port;
  const host = address.includes(":") ? `[${address}]` : address;
  return { action: "RepointAPIServerEndpoint", reason: check.reason, server: `https://${host}:${port}` };
}

/** Why each report-only check has no fix: the setting belongs to another component. */
const REPORT_ONLY: ReadonlyArray<[EvidenceCheckType, string]> = [
  ["IptablesBackends", "which iptables writer is wrong is the operator's decision"],
  ["OverlayMTU", "the overlay MTU is the CNI's setting"],
  ["KubeletDNS", "the fix is the kubelet's resolvConf"],
  ["ConntrackTable", "kube-proxy owns nf_conntrack_max"],
];

/** One "report only" line per failing report-only check. */
function reportOnlyReasons(checks: Record<EvidenceCheckType, CheckResult>): string[] {
  return REPORT_ONLY.filter(([type]) => checks[type].status === "False").map(([type, why]) => `${type} is report only: ${why}`);
}

/** Chooses the fixes for one node from its checks. */
export function chooseFixes(context: NodeContext, checks: Record<EvidenceCheckType, CheckResult>): FixChoice {
  const failing = Object.values(checks).filter((c) => c.status === "False" && c.type !== "AgentReporting");
  if (failing.length === 0) return { fixes: [] };
  if (!context.reportFresh) return { fixes: [], noFixReason: "no fresh host facts from the netmedic agent: nothing is changed on stale evidence" };
  if (checks.KonnectivityReachable.reason === "ControlPlaneUnreachable") {
    return { fixes: [], noFixReason: "the host network cannot reach the control plane either: the fault is on the control-plane side or in the network" };
  }
  const fixes: PlannedAction[] = [];
  const reasons: string[] = [];
  if (checks.HostFirewall.reason === "UfwBlockingPodTraffic") {
    const ufw = ufwFix(context, checks.HostFirewall);
    if (typeof ufw === "string") reasons.push(ufw);
    else fixes.push(ufw);
  } else if (checks.HostFirewall.status === "False") fixes.push(firewallFix(context, checks.HostFirewall));
  if (checks.IPForwarding.status === "False") fixes.push({ action: "EnableIPForwarding", reason: "Disabled", ...podInterface(context) });
  if (checks.BridgeNetfilter.status === "False") fixes.push({ action: "EnableBridgeNetfilter", reason: checks.BridgeNetfilter.reason });
  if (checks.KernelModules.status === "False") modulesFix(context, fixes, reasons);
  if (checks.ReversePathFilter.status === "False") {
    const rp = rpFilterFix(context);
    if (typeof rp === "string") reasons.push(rp);
    else fixes.push(rp);
  }
  const vxlan = context.facts?.vxlanChecksum;
  if (checks.VXLANChecksumOffload.status === "False" && vxlan) {
    fixes.push({ action: "DisableVXLANChecksumOffload", reason: "BadChecksums", links: offloadedLinks(vxlan) });
  }
  if (checks.NetworkManager.status === "False") fixes.push({ action: "UnmanageCNILinks", reason: checks.NetworkManager.reason });
  if (checks.APIServerEndpoint.status === "False") {
    const repoint = repointFix(context, checks.APIServerEndpoint);
    if (typeof repoint === "string") reasons.push(repoint);
    else fixes.push(repoint);
  }
  reasons.push(...reportOnlyReasons(checks));
  if (fixes.length === 0 && reasons.length === 0) {
    reasons.push("pod traffic to the control plane fails but forwarding and the host firewall look right: check the CNI and network policies");
  }
  return { fixes, noFixReason: reasons.length ? reasons.join("; ") : undefined };
}

function podInterface(context: NodeContext): { podInterface?: string } {
  const name = context.facts?.podNetwork?.interface;
  return name ? { podInterface: name } : {};
}

/** What the node's agent should probe: the konnectivity servers its agents dial, the live apiservers, and where its probe pod listens. */
export function probeTargets(context: NodeContext): ProbeTargets {
  const agents = context.konnectivityAgents.length ? context.konnectivityAgents : context.observation.konnectivityAgents;
  const konnectivity = agents.flatMap((a) => (a.serverHost && a.serverPort ? [`${a.serverHost}:${a.serverPort}`] : []));
  const endpoints = context.observation.apiServerEndpoints;
  const apiServers = (endpoints?.addresses ?? []).map((address) => `${address}:${endpoints?.port ?? 6443}`);
  const probeEndpoint = context.observation.probeEndpoints?.[context.node.name];
  return { konnectivity: [...new Set(konnectivity)].sort(), apiServers, ...(probeEndpoint ? { probeEndpoint } : {}) };
}
