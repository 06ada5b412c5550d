/**
 * VXLANChecksumOffload: a VXLAN link whose transmit checksum the kernel offloads can put VXLAN
 * packets on the wire with a bad inner checksum when they are NATed on their way out (the 63 s
 * Service stalls of flannel #1279/#2152, calico #3145, kubernetes #88986: every SYN retransmitted
 * until one goes out without the offload). It is a fault only with evidence: the kernel bug was
 * fixed (kube-proxy stopped masquerading VXLAN traffic in kubernetes #92035, the kernel's NAT stopped
 * touching zero UDP checksums in 5.7) and on a fixed node the offload is correct and cheaper, so
 * "on" is judged False only once the namespace has received UDP datagrams with a bad checksum
 * (InCsumErrors > 0) — the same shape as strict rp_filter without drops. Pure.
 */
import type { VXLANChecksumFacts } from "../api/index.js";
import type { CheckResult, NodeContext } from "./findings.js";
import { unknownCheck } from "./findings.js";

/** The VXLAN links whose transmit checksum is offloaded (what DisableVXLANChecksumOffload turns off). */
export function offloadedLinks(facts: VXLANChecksumFacts): string[] {
  return facts.links.filter((link) => link.txChecksumOffload).map((link) => link.name);
}

const verdict = (status: CheckResult["status"], reason: string, message: string, evidence: string[]): CheckResult =>
  ({ type: "VXLANChecksumOffload", status, reason, message, evidence });

function evidenceOf(facts: VXLANChecksumFacts): string[] {
  const evidence = facts.links.map((l) => `ethtool -k ${l.name}: tx-checksum-ip-generic: ${l.txChecksumOffload ? "on" : "off"}`);
  if (facts.udpChecksumErrors !== undefined) {
    evidence.push(`UDP datagrams received with a bad checksum: ${facts.udpChecksumErrors ? "yes (InCsumErrors > 0)" : "none (InCsumErrors = 0)"}`);
  }
  return evidence;
}

/**
 * VXLANChecksumOffload: True when there is no VXLAN link, when no link offloads its transmit
 * checksum, or when it does but no bad UDP checksum has arrived; False when it does and bad UDP
 * checksums have arrived; Unknown when the facts are missing or the error counter is unreadable.
 */
export function checkVXLANChecksumOffload(context: NodeContext): CheckResult {
  const facts = context.facts?.vxlanChecksum;
  if (!facts) {
    const why = context.facts ? "VXLAN offload was not reported (facts.errors says why; agents older than this check report none)" : "no host facts reported by the netmedic agent on this node";
    return unknownCheck("VXLANChecksumOffload", why);
  }
  if (facts.links.length === 0) return verdict("True", "NoVXLANLink", "the host has no VXLAN link", []);
  const evidence = evidenceOf(facts);
  const on = offloadedLinks(facts);
  if (on.length === 0) return verdict("True", "OffloadOff", `transmit checksum offload is off on ${facts.links.map((l) => l.name).join(", ")}`, evidence);
  const where = `transmit checksum offload (tx-checksum-ip-generic) is on on ${on.join(", ")}`;
  if (facts.udpChecksumErrors === false) return verdict("True", "OffloadOnWithoutErrors", `${where}, but no UDP datagram has arrived with a bad checksum: this kernel's offload works so far`, evidence);
  if (facts.udpChecksumErrors === undefined) return verdict("Unknown", "Unknown", `${where}; the UDP checksum error count could not be read`, evidence);
  return verdict("False", "BadChecksums", `${where} and UDP datagrams have arrived with a bad checksum: VXLAN traffic is being dropped (Service connections stall ~63 s)`, evidence);
}
