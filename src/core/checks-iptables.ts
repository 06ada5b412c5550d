/**
 * IptablesBackends: Kubernetes or CNI rules in both iptables backends at once. A node has one
 * netfilter, but iptables-legacy (x_tables) and iptables-nft write separate tables that the kernel
 * both runs; kube-proxy and the CNI each pick a backend at start, so rules of theirs in both mean
 * two writers disagree (a host iptables of the other mode, a CNI image of the other mode) or stale
 * chains of a previous mode still match: Services fail or are handled twice (kubernetes #71305,
 * #82361; k3s #3117). Rules of anything else (docker, ufw, an admin's) in the other backend are not
 * this fault, so only Kubernetes/CNI chains count. Report only: which writer is wrong is the
 * operator's decision, and flushing the other backend's chains under a live kube-proxy is unsafe. Pure.
 */
import type { IptablesBackendRules } from "../api/index.js";
import type { CheckResult, NodeContext } from "./findings.js";
import { unknownCheck } from "./findings.js";

const verdict = (status: CheckResult["status"], reason: string, message: string, evidence: string[]): CheckResult =>
  ({ type: "IptablesBackends", status, reason, message, evidence });

function describe(tool: string, rules: IptablesBackendRules): string {
  if (!rules.hasRules) return `${tool}: no rules`;
  return `${tool}: ${rules.kubeOwners.length ? `rules in ${rules.kubeOwners.join(", ")} chains` : "rules, none in Kubernetes/CNI chains"}`;
}

/** IptablesBackends: False when both backends hold Kubernetes/CNI rules, True otherwise, Unknown without facts. */
export function checkIptablesBackends(context: NodeContext): CheckResult {
  const facts = context.facts?.iptablesBackends;
  if (!facts) {
    return unknownCheck("IptablesBackends", context.facts ? "the iptables backends were not reported (facts.errors says why; agents older than this check report none)" : "no host facts reported by the netmedic agent on this node");
  }
  const evidence = [describe("iptables-legacy-save", facts.legacy), describe("iptables-nft-save", facts.nft)];
  if (facts.legacy.kubeOwners.length && facts.nft.kubeOwners.length) {
    return verdict("False", "BothBackendsHoldKubeRules", "Kubernetes/CNI rules are in both iptables-legacy and iptables-nft: two writers disagree on the backend or one's chains are stale; make kube-proxy, the CNI and the host's iptables use one mode and remove the other's chains", evidence);
  }
  return verdict("True", "OneBackend", "Kubernetes/CNI rules are in at most one iptables backend", evidence);
}
