/**
 * ufw's rules as the core reads them: the tuples ufw records in /etc/ufw/user.rules (one per user
 * rule: `action proto dport dst sport src [dapp sapp] direction`, e.g.
 * `route:allow any any 0.0.0.0/0 any 10.42.0.0/16 in`), and the allowances pod traffic needs from
 * them. Pure: the HostFirewall check judges with it, and the agent's OpenUfw action adds and
 * verifies exactly the same allowances.
 */
import type { UfwFacts } from "../api/index.js";

/** One ufw user rule, from its tuple. */
export interface UfwRule {
  /** A `ufw route …` rule (the FORWARD chain) rather than an incoming/outgoing one. */
  route: boolean;
  /** allow, deny, reject or limit. */
  action: string;
  /** any, tcp, udp, … */
  protocol: string;
  /** Destination port(s): any, 22, 80,443 or 2379:2380. */
  toPort: string;
  to: string;
  from: string;
  fromPort: string;
  /** in or out, with the interfaces when the rule names them: in, in_cni0, in_cni0!out_eth0. */
  direction: string;
}

/** Parses one tuple (the text after `### tuple ### `); undefined when it is not one. */
export function parseUfwTuple(text: string): UfwRule | undefined {
  const words = text.trim().split(/\s+/).filter((w) => !w.startsWith("comment="));
  // Application rules carry two more fields (dapp, sapp) before the direction.
  if (words.length !== 7 && words.length !== 9) return undefined;
  const [kind = "", protocol = "", toPort = "", to = "", fromPort = "", from = ""] = words;
  const direction = words.at(-1) ?? "";
  if (!/^(in|out)(_|$)/.test(direction)) return undefined;
  const route = kind.startsWith("route:");
  return { route, action: route ? kind.slice("route:".length) : kind, protocol, toPort, to, from, fromPort, direction };
}

/** An IPv4 address or CIDR as [network, prefix]; undefined for anything else (IPv6, names). */
function ipv4Range(text: string): [number, number] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = match[5] === undefined ? 32 : Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((sum, o) => sum * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return [address - (address % size), prefix];
}

/** Whether CIDR `outer` contains all of `inner` (IPv4; `0.0.0.0/0` and `any` contain everything). */
export function cidrCovers(outer: string, inner: string): boolean {
  if (outer === "0.0.0.0/0" || outer === "any") return true;
  const a = ipv4Range(outer);
  const b = ipv4Range(inner);
  if (!a || !b || a[1] > b[1]) return false;
  const size = 2 ** (32 - a[1]);
  return b[0] - (b[0] % size) === a[0];
}

/** Whether a rule's destination-port field admits `port` (any, a list, a range). */
function portAdmits(field: string, port: number): boolean {
  if (field === "any") return true;
  return field.split(",").some((part) => {
    const [low = "", high = low] = part.split(":");
    return Number(low) <= port && port <= Number(high);
  });
}

/** What pod traffic needs from ufw on one node. */
export interface UfwNeeds {
  podCIDR: string;
  serviceCIDR?: string;
  /** Node ports as port/protocol, e.g. 8472/udp. */
  ports: string[];
}

/** One allowance: what pod traffic needs, and the ufw arguments that add it. */
export interface UfwAllowance {
  kind: "routeFrom" | "routeTo" | "inFrom" | "port";
  /** The CIDR (routeFrom, routeTo, inFrom) or port/protocol (port). */
  value: string;
  /** ufw's arguments that add it, e.g. ["route", "allow", "from", "10.42.1.0/24"]. */
  add: string[];
  /** ufw's arguments that delete it again. */
  remove: string[];
}

/** ufw's arguments for an allowance; a port is allowed from 0.0.0.0/0 so ufw adds the IPv4 rule only (undone exactly). */
function addArgs(kind: UfwAllowance["kind"], value: string): string[] {
  if (kind === "routeFrom") return ["route", "allow", "from", value];
  if (kind === "routeTo") return ["route", "allow", "to", value];
  if (kind === "inFrom") return ["allow", "from", value];
  const [port = "", protocol = ""] = value.split("/");
  return ["allow", "proto", protocol, "from", "0.0.0.0/0", "to", "any", "port", port];
}

function allowance(kind: UfwAllowance["kind"], value: string): UfwAllowance {
  const add = addArgs(kind, value);
  const remove = add[0] === "route" ? ["route", "delete", ...add.slice(1)] : ["delete", ...add];
  return { kind, value, add, remove };
}

/**
 * The allowances, in the order they are added: the pod (and service) CIDR routed both ways and
 * in (k3s docs: `ufw allow from <cidr> to any`), then the distribution's node ports.
 */
export function requiredAllowances(needs: UfwNeeds): UfwAllowance[] {
  const cidrs = [needs.podCIDR, ...(needs.serviceCIDR ? [needs.serviceCIDR] : [])];
  const byCIDR = cidrs.flatMap((cidr) => (["routeFrom", "routeTo", "inFrom"] as const).map((kind) => allowance(kind, cidr)));
  return [...byCIDR, ...needs.ports.map((port) => allowance("port", port))];
}

const isAny = (address: string): boolean => address === "0.0.0.0/0" || address === "any";
const plainDirection = (rule: UfwRule): boolean => rule.direction === "in" || rule.direction === "out";
const wholeTraffic = (rule: UfwRule): boolean => rule.protocol === "any" && rule.toPort === "any" && rule.fromPort === "any";

/**
 * Whether one allowance holds under the given rules and default policies. A CIDR needs an
 * unrestricted allow rule (no ports, no interfaces) covering it, or an ACCEPT default; a node port
 * needs an incoming allow rule naming it, from whatever source the admin chose (a source-limited
 * rule is the admin's decision and counts), an allow-everything-from-anywhere rule, or an ACCEPT
 * input default.
 */
export function allowanceHolds(a: UfwAllowance, rules: readonly UfwRule[], facts: Pick<UfwFacts, "defaultInputPolicy" | "defaultForwardPolicy">): boolean {
  const allows = rules.filter((r) => r.action === "allow");
  if (a.kind === "routeFrom" || a.kind === "routeTo") {
    if (facts.defaultForwardPolicy === "ACCEPT") return true;
    return allows.some((r) => r.route && wholeTraffic(r) && plainDirection(r)
      && (a.kind === "routeFrom" ? cidrCovers(r.from, a.value) && isAny(r.to) : cidrCovers(r.to, a.value) && isAny(r.from)));
  }
  if (facts.defaultInputPolicy === "ACCEPT") return true;
  if (a.kind === "inFrom") return allows.some((r) => !r.route && wholeTraffic(r) && r.direction === "in" && isAny(r.to) && cidrCovers(r.from, a.value));
  const [port = "", protocol = ""] = a.value.split("/");
  // A rule for the port itself may limit its source (the admin's choice); a rule for all ports must not.
  return allows.some((r) => !r.route && /^in(_|$)/.test(r.direction) && (r.protocol === "any" || r.protocol === protocol)
    && (r.toPort === "any" ? isAny(r.from) : portAdmits(r.toPort, Number(port))));
}

/** The allowances that do not hold; undefined when the rules or the default policies are unknown. */
export function missingAllowances(facts: UfwFacts, needs: UfwNeeds): UfwAllowance[] | undefined {
  if (!facts.rules || !facts.defaultInputPolicy || !facts.defaultForwardPolicy) return undefined;
  const rules = facts.rules.flatMap((text) => parseUfwTuple(text) ?? []);
  return requiredAllowances(needs).filter((a) => !allowanceHolds(a, rules, facts));
}

const PHRASES: Record<UfwAllowance["kind"], string> = { routeFrom: "routed from", routeTo: "routed to", inFrom: "in from", port: "in to" };

/** What an allowance lets through, in words: `routed from 10.42.1.0/24`, `in to 8472/udp`. */
export function allowancePhrase(a: UfwAllowance): string {
  return `${PHRASES[a.kind]} ${a.value}`;
}

/** An allowance as a person would type it: `ufw route allow from 10.42.1.0/24`. */
export function allowanceText(a: UfwAllowance): string {
  return `ufw ${a.add.join(" ")}`;
}
