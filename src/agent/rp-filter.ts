/**
 * Reverse-path filtering of the host's network namespace as the kernel has it now: one recursive
 * `grep` over /proc/sys/net/ipv4/conf (net.* sysctls are per network namespace, so it runs inside
 * the host's), kept for `all`, `default` and the pod-facing links — the pod interface and the
 * links CNIs create for pod traffic. Uplinks and loopback are left out: their filtering is the
 * admin's business and does not see pod packets arrive. Beside the settings, whether the kernel has
 * dropped anything on the reverse-path check yet (/proc/net/netstat, also per network namespace).
 */
import { MAX_RP_FILTER_LINKS, type LinkValue, type ReversePathFilterFacts } from "../api/index.js";
import type { HostExecutor } from "./host-executor.js";
import { procNetCounter } from "./proc-net.js";
import { sysctlRef, type SysctlRef } from "./sysctl.js";
import { validInterface } from "./validate.js";

const CONF_DIR = "/proc/sys/net/ipv4/conf";

/**
 * Links CNIs create for pod traffic: bridges (cni0, cbr0, kube-bridge, weave), overlays (flannel.1,
 * vxlan.calico, tunl0, cilium_*), and per-pod host-side veths (cali*, lxc*, veth*).
 */
const POD_LINK = /^(cni\d+|cbr0|kube-bridge|weave|flannel[.-].+|vxlan[.-]calico|tunl0|cilium_.+|cali.+|lxc.+|veth.+)$/;

/** The rp_filter sysctl of `all`, `default` or a validated link. */
export function rpFilterRef(name: string): SysctlRef {
  const link = name === "all" || name === "default" ? name : validInterface(name);
  return sysctlRef("net", "ipv4", "conf", link, "rp_filter");
}

/** Parses `grep -r -H ^` output over CONF_DIR into link name → rp_filter value. */
export function parseRpFilters(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^\/proc\/sys\/net\/ipv4\/conf\/([^/]+)\/rp_filter:(\d+)\s*$/.exec(line);
    if (match?.[1] && match[2] !== undefined) values.set(match[1], Number(match[2]));
  }
  return values;
}

/** Strict links first (the ones that matter when the list is cut at maxItems), then by name. */
function byConcern(all: number): (a: LinkValue, b: LinkValue) => number {
  const strict = (l: LinkValue): number => (Math.max(all, l.value) === 1 ? 0 : 1);
  return (a, b) => strict(a) - strict(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The facts from parsed values; throws when `all` or `default` is missing (no IPv4 in this namespace). */
export function rpFilterFacts(values: ReadonlyMap<string, number>, podInterface?: string): ReversePathFilterFacts {
  const all = values.get("all");
  const fallback = values.get("default");
  if (all === undefined || fallback === undefined) throw new Error(`${CONF_DIR}/{all,default}/rp_filter not readable`);
  const links = [...values].filter(([name]) => name === podInterface || POD_LINK.test(name)).map(([name, value]) => ({ name, value }));
  links.sort(byConcern(all));
  return { all, default: fallback, links: links.slice(0, MAX_RP_FILTER_LINKS), linkCount: links.length };
}

/** The IPReversePathFilter counter of /proc/net/netstat; undefined when absent. */
export function parseReversePathDrops(netstat: string): number | undefined {
  return procNetCounter(netstat, "TcpExt:", "IPReversePathFilter");
}

/** Reads the host's rp_filter facts; `dropped` is left out when /proc/net/netstat cannot tell. */
export async function readRpFilter(host: HostExecutor, podInterface?: string): Promise<ReversePathFilterFacts> {
  const [conf, netstat] = await Promise.all([
    host.run(["grep", "-r", "-H", "-s", "--include=rp_filter", "^", CONF_DIR]),
    host.run(["cat", "--", "/proc/net/netstat"]),
  ]);
  if (conf.code !== 0 && conf.code !== 2) throw new Error(`grep ${CONF_DIR} exited ${conf.code}`);
  const facts = rpFilterFacts(parseRpFilters(conf.stdout), podInterface);
  const drops = netstat.code === 0 ? parseReversePathDrops(netstat.stdout) : undefined;
  return drops === undefined ? facts : { ...facts, dropped: drops > 0 };
}
