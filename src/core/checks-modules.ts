/**
 * KernelModules: the modules the node's networking cannot work without — overlay (the container
 * runtime's overlayfs snapshotter) and nf_conntrack (kube-proxy's NAT and every stateful rule) on
 * every node, and vxlan where the distribution's default overlay is flannel/canal VXLAN (k3s,
 * RKE2) and the node's args do not choose another backend: without it flannel exits with
 * "operation not supported" (flannel #1502, #1747; k3s #7155). br_netfilter is BridgeNetfilter's.
 * A module loaded or built in passes; one installed but not loaded is fixable (LoadKernelModules);
 * one the kernel's module tree lacks is reported with the package that usually carries it.
 */
import { ANNOTATION_K3S_NODE_ARGS, ANNOTATION_RKE2_NODE_ARGS, type KernelModuleFacts } from "../api/index.js";
import type { CheckResult, NodeContext } from "./findings.js";
import { unknownCheck } from "./findings.js";
import { nodeArgValue } from "./evidence.js";

const verdict = (status: CheckResult["status"], reason: string, message: string, evidence: string[]): CheckResult =>
  ({ type: "KernelModules", status, reason, message, evidence });

/** Whether the node's overlay network needs vxlan: k3s/RKE2 with their default (VXLAN) backend. */
function needsVxlan(context: NodeContext): boolean {
  const distribution = context.facts?.distribution;
  const annotations = context.node.annotations;
  if (distribution === "k3s") return (nodeArgValue(annotations[ANNOTATION_K3S_NODE_ARGS], ["--flannel-backend"]) ?? "vxlan") === "vxlan";
  if (distribution === "rke2") return ["canal", "flannel"].includes(nodeArgValue(annotations[ANNOTATION_RKE2_NODE_ARGS], ["--cni"]) ?? "canal");
  return false;
}

/** The modules this node needs, in the order they are reported. */
export function requiredModules(context: NodeContext): string[] {
  return ["overlay", "nf_conntrack", ...(needsVxlan(context) ? ["vxlan"] : [])];
}

/**
 * The package that usually carries a kernel's extra modules, by the release's naming (the
 * distributions' packaging, not read on the node): Ubuntu's linux-modules-extra, the RHEL family's
 * kernel-modules-extra.
 */
export function packageHint(release: string): string {
  if (/-raspi$/.test(release)) return "linux-modules-extra-raspi (Ubuntu)";
  if (/-(generic|lowlatency|aws|azure|gcp|oracle|kvm|ibm)$/.test(release)) return `linux-modules-extra-${release} (Ubuntu)`;
  if (/\.el\d+uek/.test(release)) return `kernel-uek-modules-extra-${release} (Oracle Linux UEK)`;
  if (/\.(el|fc)\d+/.test(release)) return `kernel-modules-extra-${release} (RHEL family, Fedora)`;
  return `the package that ships kernel ${release}'s extra modules`;
}

/** The required modules in a given state. */
export function modulesIn(facts: KernelModuleFacts, required: readonly string[], state: string): string[] {
  return facts.modules.filter((m) => required.includes(m.name) && m.state === state).map((m) => m.name);
}

/** KernelModules: are the modules this node's networking needs loaded or built in? */
export function checkKernelModules(context: NodeContext): CheckResult {
  const facts = context.facts?.kernelModules;
  if (!facts) {
    return unknownCheck("KernelModules", context.facts ? "kernel modules were not reported (facts.errors says why; agents older than this check report none)" : "no host facts reported by the netmedic agent on this node");
  }
  const required = requiredModules(context);
  const evidence = [`kernel ${facts.release}: ${facts.modules.map((m) => `${m.name} ${m.state}`).join(", ")}`];
  const missing = modulesIn(facts, required, "notInstalled");
  if (missing.length) {
    return verdict("False", "ModuleNotInstalled", `${missing.join(", ")} not in kernel ${facts.release} nor its module tree: install ${packageHint(facts.release)}`, evidence);
  }
  const unloaded = modulesIn(facts, required, "available");
  if (unloaded.length) return verdict("False", "ModuleNotLoaded", `${unloaded.join(", ")} installed but not loaded`, evidence);
  const unknown = modulesIn(facts, required, "unknown");
  if (unknown.length) return verdict("Unknown", "Unknown", `cannot tell whether ${unknown.join(", ")} is available (no /proc/modules entry, build config or module tree)`, evidence);
  return verdict("True", "Loaded", `${required.join(", ")} loaded or built in`, evidence);
}
