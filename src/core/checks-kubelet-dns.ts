/**
 * KubeletDNS: CoreDNS forwards to the nameservers of the resolv.conf the kubelet gives it. When that
 * file names a loopback address — systemd-resolved's stub 127.0.0.53 in /etc/resolv.conf is the
 * usual one — CoreDNS forwards to itself inside its own pod, its loop plugin detects it and it
 * crash-loops (`plugin/loop: Loop … detected`, coredns #2087, #2790; k0s #390). Report only: the fix
 * is the kubelet's resolvConf (e.g. /run/systemd/resolve/resolv.conf), a kubelet configuration
 * change and restart netmedic does not make. Pure.
 */
import type { CheckResult, NodeContext } from "./findings.js";
import { unknownCheck } from "./findings.js";

const verdict = (status: CheckResult["status"], reason: string, message: string, evidence: string[]): CheckResult =>
  ({ type: "KubeletDNS", status, reason, message, evidence });

/** Whether an address is loopback (127.0.0.0/8 or ::1): inside a pod it is the pod itself. */
export function loopbackAddress(address: string): boolean {
  return /^127\./.test(address) || address === "::1" || address === "0:0:0:0:0:0:0:1";
}

/** KubeletDNS: False when the kubelet's resolv.conf names a loopback nameserver, True otherwise, Unknown without facts. */
export function checkKubeletDNS(context: NodeContext): CheckResult {
  const facts = context.facts?.kubeletDNS;
  if (!facts) {
    return unknownCheck("KubeletDNS", context.facts ? "the kubelet's resolv.conf was not reported (facts.errors says why; agents older than this check report none)" : "no host facts reported by the netmedic agent on this node");
  }
  if (facts.resolvConf === "") return verdict("True", "NoResolvConf", `the kubelet is configured with no resolv.conf (${facts.source})`, [`kubelet resolvConf "" (${facts.source})`]);
  const evidence = [`kubelet resolvConf ${facts.resolvConf} (${facts.source}): nameserver ${facts.nameservers.join(", ") || "none"}`];
  const loopback = facts.nameservers.filter(loopbackAddress);
  if (loopback.length === 0) return verdict("True", "NoLoopbackNameserver", `${facts.resolvConf} names no loopback nameserver`, evidence);
  return verdict("False", "LoopbackNameserver", `the kubelet's resolv.conf ${facts.resolvConf} names ${loopback.join(", ")}: CoreDNS forwards to itself and its loop plugin crash-loops it; point the kubelet's resolvConf at a file with the real upstreams (with systemd-resolved: /run/systemd/resolve/resolv.conf)`, evidence);
}
