/**
 * The node's pod-facing interface and pod CIDR, and its uplink, read from the host's links and
 * IPv4 routes (`ip -o link show`, `ip -o -4 route show`). Bridges are preferred (cni0 for
 * flannel/bridge CNIs, kube-bridge for kube-router as in k0s, cbr0 for kubenet); tunnel devices
 * next; a calico node has no bridge, so its block comes from the `blackhole` route bird installs.
 */
import type { PodNetworkFacts } from "../api/index.js";
import { mustRun, type HostExecutor } from "./host-executor.js";

/** Pod-facing interfaces, most specific first. */
const POD_INTERFACE_CANDIDATES = ["cni0", "kube-bridge", "cbr0", "flannel.1", "vxlan.calico", "cilium_host", "weave"] as const;

/** One IPv4 route. */
export interface Route {
  destination: string;
  type?: string;
  dev?: string;
  proto?: string;
}

const ROUTE_TYPES = new Set(["blackhole", "unreachable", "prohibit", "local", "broadcast"]);

/** Parses `ip -o -4 route show`. */
export function parseRoutes(text: string): Route[] {
  return text.split("\n").map((line) => line.trim().split(/\s+/)).filter((words) => words[0]).map((words) => {
    const type = ROUTE_TYPES.has(words[0] ?? "") ? words.shift() : undefined;
    const route: Route = { destination: words[0] ?? "", type };
    for (let i = 1; i < words.length - 1; i++) {
      if (words[i] === "dev") route.dev = words[i + 1];
      if (words[i] === "proto") route.proto = words[i + 1];
    }
    return route;
  });
}

/** Interface names from `ip -o link show` (`2: eth0@if2: <…>` → `eth0`). */
export function parseLinkNames(text: string): string[] {
  return text.split("\n").flatMap((line) => {
    const match = /^\d+:\s+([^:@\s]+)(?:@[^:\s]+)?:/.exec(line);
    return match?.[1] ? [match[1]] : [];
  });
}

/** The uplink: the device of the default route. */
export function uplinkInterface(routes: Route[]): string | undefined {
  return routes.find((r) => r.destination === "default" && r.dev)?.dev;
}

/**
 * Picks the pod interface and CIDR. Explicit values (agent flags) win; otherwise the first
 * candidate interface present, its kernel (connected) route, or calico's blackhole block.
 */
export function detectPodNetwork(links: string[], routes: Route[], override: PodNetworkFacts = {}): PodNetworkFacts {
  const name = override.interface ?? POD_INTERFACE_CANDIDATES.find((candidate) => links.includes(candidate));
  const connected = routes.find((r) => r.dev === name && r.proto === "kernel" && r.destination.includes("/") && !r.type);
  const calicoBlock = routes.find((r) => r.type === "blackhole" && r.proto === "bird" && r.destination.includes("/"));
  const cidr = override.cidr ?? connected?.destination ?? calicoBlock?.destination;
  return { ...(name ? { interface: name } : {}), ...(cidr ? { cidr } : {}) };
}

/** Reads links and routes on the host; pod network plus uplink. */
export async function readPodNetwork(host: HostExecutor, override: PodNetworkFacts = {}): Promise<{ pod: PodNetworkFacts; uplink?: string }> {
  const [links, routes] = await Promise.all([mustRun(host, ["ip", "-o", "link", "show"]), mustRun(host, ["ip", "-o", "-4", "route", "show"])]);
  const parsed = parseRoutes(routes);
  return { pod: detectPodNetwork(parseLinkNames(links), parsed, override), uplink: uplinkInterface(parsed) };
}
