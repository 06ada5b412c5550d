/**
 * OverlayMTU: an overlay link whose MTU plus its encapsulation overhead exceeds the MTU of the link
 * it encapsulates onto sends packets the underlay cannot carry: small packets pass (TCP connects),
 * full-size ones are dropped or need fragmentation that a VXLAN/WireGuard path does not get, so TLS
 * handshakes and large responses hang (flannel #1614; calico #7651). Report only: the MTU is the
 * CNI's setting (flannel's net-conf, Calico's veth_mtu/FelixConfiguration) and changing the link
 * under it is undone at its next restart. Pure.
 */
import type { OverlayLinkMTU } from "../api/index.js";
import type { CheckResult, NodeContext } from "./findings.js";
import { unknownCheck } from "./findings.js";

/**
 * Bytes each encapsulation adds over an IPv4 underlay — the figures in Calico's "Configure MTU"
 * table and flannel's backend docs: VXLAN and Geneve 50 (outer IPv4 20 + UDP 8 + VXLAN/Geneve 8 +
 * inner Ethernet 14; RFC 7348 §5), WireGuard 60 (IPv4 20 + UDP 8 + WireGuard 32), IP-in-IP 20 (one
 * IPv4 header). Over IPv6 VXLAN and WireGuard need 20 more (70, 80); the smaller IPv4 figure is
 * used because the underlay's family is not reported, so the check can miss an IPv6 node's fault
 * but never call a right-sized link wrong.
 */
export const ENCAPSULATION_OVERHEAD: Record<OverlayLinkMTU["kind"], number> = { vxlan: 50, geneve: 50, wireguard: 60, ipip: 20 };

/**
 * Cilium's tunnel devices are left at a large MTU on purpose; Cilium sets the encapsulation-reduced
 * MTU on its routes and pod links instead, so their own MTU is no evidence of a mismatch.
 */
export const notJudged = (link: OverlayLinkMTU): boolean => link.name.startsWith("cilium_");

const verdict = (status: CheckResult["status"], reason: string, message: string, evidence: string[]): CheckResult =>
  ({ type: "OverlayMTU", status, reason, message, evidence });

function evidenceOf(link: OverlayLinkMTU): string {
  const underlay = link.underlay ? `${link.underlay} mtu ${link.underlayMTU}` : "underlay unknown";
  return `${link.name} (${link.kind}) mtu ${link.mtu} + ${ENCAPSULATION_OVERHEAD[link.kind]} overhead; ${underlay}${notJudged(link) ? " (Cilium: not judged)" : ""}`;
}

/** The links too large for their underlay. */
export function oversizedLinks(links: OverlayLinkMTU[]): OverlayLinkMTU[] {
  return links.filter((l) => !notJudged(l) && l.underlayMTU !== undefined && l.mtu + ENCAPSULATION_OVERHEAD[l.kind] > l.underlayMTU);
}

/** OverlayMTU: False when an overlay link is too large for its underlay, True when all fit or there is none, Unknown when an underlay is unknown. */
export function checkOverlayMTU(context: NodeContext): CheckResult {
  const facts = context.facts?.overlayMTU;
  if (!facts) {
    return unknownCheck("OverlayMTU", context.facts ? "overlay MTUs were not reported (facts.errors says why; agents older than this check report none)" : "no host facts reported by the netmedic agent on this node");
  }
  const judged = facts.links.filter((l) => !notJudged(l));
  if (judged.length === 0) return verdict("True", "NoOverlayLink", "the host has no overlay link whose MTU netmedic judges", facts.links.map(evidenceOf));
  const evidence = facts.links.map(evidenceOf);
  const oversized = oversizedLinks(judged);
  if (oversized.length) {
    const what = oversized.map((l) => `${l.name} needs mtu ≤ ${(l.underlayMTU ?? 0) - ENCAPSULATION_OVERHEAD[l.kind]}`).join(", ");
    return verdict("False", "TooLargeForUnderlay", `overlay packets do not fit their underlay (${what}): large packets are dropped, TLS and big responses hang; set the CNI's MTU`, evidence);
  }
  const unknown = judged.filter((l) => l.underlayMTU === undefined).map((l) => l.name);
  if (unknown.length) return verdict("Unknown", "Unknown", `the link ${unknown.join(", ")} encapsulates onto is not known (no dev, no default route)`, evidence);
  return verdict("True", "Fits", `MTU plus encapsulation overhead fits the underlay: ${judged.map((l) => l.name).join(", ")}`, evidence);
}
