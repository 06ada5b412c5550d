/**
 * ReversePathFilter: reverse-path filtering stricter than the node's CNI allows drops pod packets
 * whose source the kernel would not route back out of the link they came in on — the asymmetric
 * paths of overlays, policy routing and eBPF datapaths. The kernel applies the larger of `all` and
 * the link's own value (0 off, 1 strict, 2 loose), and a link created later (each new pod's veth)
 * starts from `default`. What a CNI needs differs: bridge and overlay CNIs (flannel, the bridge
 * plugin, kube-router) pass with loose or off; Cilium needs off on its own links (cilium #10645:
 * systemd 245's loose `*.rp_filter = 2` broke pod egress); Calico's Felix keeps strict on its cali*
 * links on purpose (anti-spoofing) and refuses a loose `all`, so a Calico node is left to Felix.
 * Pure: the check and the LoosenReversePathFilter plan share `strictSettings`.
 */
import type { ReversePathFilterFacts } from "../api/index.js";
import type { CheckResult, NodeContext } from "./findings.js";
import { unknownCheck } from "./findings.js";

const STRICT = 1;
const CALICO_LINK = /^(cali.+|vxlan[.-]calico)$/;
const CILIUM_LINK = /^(cilium_.+|lxc.+)$/;
/** How many non-strict links the evidence names (a node may have hundreds of pod veths). */
const LINKS_SHOWN = 8;

/** The sysctl key of a link's rp_filter (`net.ipv4.conf.flannel/1.rp_filter`: dots in a name become '/'). */
export function rpFilterKey(link: string): string {
  return `net.ipv4.conf.${link.replaceAll(".", "/")}.rp_filter`;
}

/** Whose links these are: Calico and Cilium need their own treatment, every other CNI passes loose. */
export function podLinkOwner(rp: ReversePathFilterFacts): "calico" | "cilium" | "other" {
  const names = (rp.links ?? []).map((l) => l.name);
  if (names.some((n) => CALICO_LINK.test(n))) return "calico";
  return names.some((n) => CILIUM_LINK.test(n)) ? "cilium" : "other";
}

/** Cilium's links that filter at all (Cilium needs rp_filter off on them). */
export function filteringCiliumLinks(rp: ReversePathFilterFacts): string[] {
  return (rp.links ?? []).filter((l) => CILIUM_LINK.test(l.name) && Math.max(rp.all, l.value) !== 0).map((l) => l.name);
}

/**
 * The settings to loosen so no other pod-facing link stays strict: `all` when it is strict itself
 * (loose `all` lifts every link), else `default` when new links would start strict, and each link
 * whose own value is strict. Cilium's links are judged by `filteringCiliumLinks`. Empty when
 * nothing is strict.
 */
export function strictSettings(rp: ReversePathFilterFacts): string[] {
  const effective = (value: number): number => Math.max(rp.all, value);
  const links = (rp.links ?? []).filter((l) => !CILIUM_LINK.test(l.name) && effective(l.value) === STRICT).map((l) => l.name);
  const future = effective(rp.default) === STRICT ? ["default"] : [];
  if (links.length === 0 && future.length === 0) return [];
  return rp.all === STRICT ? ["all"] : [...future, ...links];
}

/** The facts as evidence lines: all, default, the strict links one by one, the others summarised. */
function evidenceOf(rp: ReversePathFilterFacts, strict: readonly string[]): string[] {
  const links = rp.links ?? [];
  const evidence = [`${rpFilterKey("all")} = ${rp.all}`, `${rpFilterKey("default")} = ${rp.default}`];
  evidence.push(...links.filter((l) => strict.includes(l.name)).map((l) => `${rpFilterKey(l.name)} = ${l.value}`));
  const others = links.filter((l) => !strict.includes(l.name));
  const shown = others.slice(0, LINKS_SHOWN).map((l) => `${l.name}=${l.value}`);
  const more = (rp.linkCount ?? links.length) - links.length + others.length - shown.length;
  if (shown.length) evidence.push(`pod-facing links' rp_filter: ${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""}`);
  return evidence;
}

const verdict = (status: CheckResult["status"], reason: string, message: string, evidence: string[]): CheckResult =>
  ({ type: "ReversePathFilter", status, reason, message, evidence });

/** Where filtering is stricter than the CNI allows, in words. */
function strictWhere(rp: ReversePathFilterFacts, settings: readonly string[], strictLinks: readonly string[], cilium: readonly string[]): string {
  const where = [...(rp.all === STRICT ? ["all interfaces"] : []), ...strictLinks.filter((l) => !cilium.includes(l)), ...(settings.includes("default") ? ["links created later (default)"] : [])];
  return [
    ...(where.length ? [`strict reverse-path filtering (rp_filter=1) on ${where.join(", ")}`] : []),
    ...(cilium.length ? [`reverse-path filtering on Cilium's links ${cilium.join(", ")} (Cilium needs 0)`] : []),
  ].join("; ");
}

/**
 * ReversePathFilter: is reverse-path filtering stricter than the CNI allows where pod traffic
 * enters the host? Strict filtering passes symmetric paths (a bridge CNI on a RHEL-family node,
 * whose default is strict, works), so outside Cilium it is a fault only once the kernel has counted
 * reverse-path drops; filtering on Cilium's links is a fault as such (Cilium documents it).
 */
export function checkReversePathFilter(context: NodeContext): CheckResult {
  const rp = context.facts?.rpFilter;
  if (!rp) {
    const why = context.facts ? "rp_filter was not reported (facts.errors says why; agents older than this check report none)" : "no host facts reported by the netmedic agent on this node";
    return unknownCheck("ReversePathFilter", why);
  }
  if (podLinkOwner(rp) === "calico") {
    const message = "Calico's Felix manages rp_filter on its links (strict on cali* on purpose) and requires all to be 0 or 1: not judged";
    return verdict("True", "ManagedByCNI", message, evidenceOf(rp, []));
  }
  const settings = strictSettings(rp);
  const cilium = filteringCiliumLinks(rp);
  const strictLinks = (rp.links ?? []).filter((l) => Math.max(rp.all, l.value) === STRICT || cilium.includes(l.name)).map((l) => l.name);
  const evidence = evidenceOf(rp, rp.all === STRICT ? [] : strictLinks);
  if (settings.length === 0 && cilium.length === 0) {
    return verdict("True", "NotStrict", `rp_filter is not stricter than the CNI allows where pod traffic enters (all ${rp.all}, default ${rp.default}, ${rp.linkCount ?? rp.links?.length ?? 0} pod-facing link(s))`, evidence);
  }
  const where = strictWhere(rp, settings, strictLinks, cilium);
  if (rp.dropped !== undefined) evidence.push(`the kernel has ${rp.dropped ? "" : "not "}dropped packets on the reverse-path check (IPReversePathFilter ${rp.dropped ? "> 0" : "= 0"})`);
  if (cilium.length === 0 && rp.dropped === false) {
    return verdict("True", "StrictWithoutDrops", `${where}, but the kernel has dropped no packet on the reverse-path check: every path is symmetric so far`, evidence);
  }
  if (cilium.length === 0 && rp.dropped === undefined) return verdict("Unknown", "Unknown", `${where}; the kernel's reverse-path drop count could not be read`, evidence);
  return verdict("False", "StrictOnPodLinks", `${where}: pod packets with an asymmetric return path are dropped`, evidence);
}
