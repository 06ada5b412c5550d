/**
 * Collecting HostFacts: distribution, pod network, sysctls, rp_filter, kernel modules, VXLAN checksum offload, NetworkManager, firewalld, ufw, (k3s/RKE2) the
 * configured API server, and the report-only facts (conntrack fill, iptables backends, kubelet DNS, overlay MTU). Each part is read independently; a part that fails becomes an entry in `errors`
 * and is left out, so one unreadable file or a broken firewall-cmd never hides the rest.
 */
import type { HostFacts, PodNetworkFacts } from "../api/index.js";
import type { HostExecutor } from "./host-executor.js";
import { detectionPaths, distributionFromPaths, existingHostPaths, type Distribution } from "./distribution.js";
import { readPodNetwork } from "./pod-network.js";
import { readSysctlFacts } from "./sysctl.js";
import { readFirewalld, type FirewalldView } from "./firewalld-facts.js";
import { layoutOf, readAPIServerFacts } from "./api-server-facts.js";
import { readUfw } from "./ufw-facts.js";
import { readRpFilter } from "./rp-filter.js";
import { readKernelModules } from "./kernel-modules.js";
import { readVXLANChecksum } from "./vxlan-offload.js";
import { readNetworkManager } from "./network-manager.js";
import { readConntrack } from "./conntrack.js";
import { readIptablesBackends } from "./iptables-backends.js";
import { readKubeletDNS } from "./kubelet-dns.js";
import { readOverlayMTU } from "./overlay-mtu.js";
import { limitedHost } from "./host-concurrency.js";

/** Facts plus what the actions need besides them (the uplink, the runtime firewalld zones). */
export interface HostSnapshot {
  facts: HostFacts;
  uplink?: string;
  firewalld?: FirewalldView;
  existingPaths: ReadonlySet<string>;
}

/** How many host processes one facts round runs at once: the readers overlap, a 2-core node is not flooded. */
export const FACTS_CONCURRENCY = 4;

/** Per host executor: whether firewalld ran at its last facts round (then its reads start with --state). */
const firewalldRan = new WeakMap<HostExecutor, boolean>();

/** One reader's outcome: its value, or why it failed. */
type Reading<T> = { value?: T; error?: string };

/** Runs `read`; a failure becomes `what: reason` (never a rejected round). */
async function attempt<T>(what: string, read: () => Promise<T>): Promise<Reading<T>> {
  try {
    return { value: await read() };
  } catch (error) {
    return { error: `${what}: ${(error as Error).message}`.slice(0, 400) };
  }
}

/** The readers' values in their order, their errors appended to `errors` in the same order (not in completion order). */
function settled<T extends unknown[]>(errors: string[], readings: { [K in keyof T]: Reading<T[K]> }): { [K in keyof T]: T[K] | undefined } {
  for (const r of readings as Reading<unknown>[]) if (r.error) errors.push(r.error);
  return (readings as Reading<unknown>[]).map((r) => r.value) as { [K in keyof T]: T[K] | undefined };
}

/**
 * Collects the host's facts. `override` holds operator-given pod interface/CIDR (agent flags);
 * `now` is the collection time (ISO). Two stages: what the readers depend on (distribution paths,
 * pod network and uplink), then every reader at once, through an executor that runs at most
 * FACTS_CONCURRENCY host processes at a time. firewalld's reader starts first: its firewall-cmd
 * processes (a Python start each) are the round's longest path, and all three start at once unless
 * firewalld did not run at this host's previous round.
 */
export async function collectFacts(host: HostExecutor, override: PodNetworkFacts, now: () => string): Promise<HostSnapshot> {
  const errors: string[] = [];
  const limited = limitedHost(host, FACTS_CONCURRENCY);
  const [existingPaths, network] = settled<[Set<string>, Awaited<ReturnType<typeof readPodNetwork>>]>(errors, await Promise.all([
    attempt("distribution", () => existingHostPaths(limited, detectionPaths())),
    attempt("pod network", () => readPodNetwork(limited, override)),
  ]));
  const existing = existingPaths ?? new Set<string>();
  const distribution: Distribution = existing.size ? distributionFromPaths(existing) : "unknown";
  const pod = network?.pod ?? override;
  const layout = layoutOf(distribution);
  const [firewalld, sysctl, rpFilter, kernelModules, ufw, vxlanChecksum, networkManager, conntrack, iptablesBackends, kubeletDNS, overlayMTU, apiReading] = settled(errors, await Promise.all([
    attempt("firewall", () => readFirewalld(limited, pod, network?.uplink, firewalldRan.get(host) ?? true)),
    attempt("sysctl", () => readSysctlFacts(limited, pod.interface)),
    attempt("rp_filter", () => readRpFilter(limited, pod.interface)),
    attempt("kernel modules", () => readKernelModules(limited)),
    attempt("ufw", () => readUfw(limited)),
    attempt("vxlan checksum offload", () => readVXLANChecksum(limited)),
    attempt("NetworkManager", () => readNetworkManager(limited)),
    attempt("conntrack", () => readConntrack(limited)),
    attempt("iptables backends", () => readIptablesBackends(limited)),
    attempt("kubelet dns", () => readKubeletDNS(limited, distribution)),
    attempt("overlay mtu", () => readOverlayMTU(limited, network?.uplink)),
    attempt("api server config", async () => (layout ? readAPIServerFacts(limited, layout, existing) : undefined)),
  ]));
  firewalldRan.set(host, firewalld?.facts.state === "running");
  errors.push(...(ufw?.errors ?? []), ...(apiReading?.errors ?? []));
  const facts: HostFacts = {
    collectedAt: now(),
    distribution,
    ...(sysctl ? { sysctl } : {}),
    ...(pod.interface || pod.cidr ? { podNetwork: pod } : {}),
    ...(firewalld ? { firewall: firewalld.facts } : {}),
    ...(ufw ? { ufw: ufw.facts } : {}),
    ...(rpFilter ? { rpFilter } : {}),
    ...(kernelModules ? { kernelModules } : {}),
    ...(vxlanChecksum ? { vxlanChecksum } : {}),
    ...(networkManager ? { networkManager } : {}),
    ...(conntrack ? { conntrack } : {}), ...(iptablesBackends ? { iptablesBackends } : {}),
    ...(kubeletDNS ? { kubeletDNS } : {}), ...(overlayMTU ? { overlayMTU } : {}),
    ...(apiReading ? { apiServer: apiReading.apiServer } : {}),
    ...(errors.length ? { errors } : {}),
  };
  return { facts, uplink: network?.uplink, firewalld, existingPaths: existing };
}
