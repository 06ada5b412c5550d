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

/** Facts plus what the actions need besides them (the uplink, the runtime firewalld zones). */
export interface HostSnapshot {
  facts: HostFacts;
  uplink?: string;
  firewalld?: FirewalldView;
  existingPaths: ReadonlySet<string>;
}

/** Runs `read`, or records `what: reason` in errors and yields undefined. */
async function attempt<T>(errors: string[], what: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    errors.push(`${what}: ${(error as Error).message}`.slice(0, 400));
    return undefined;
  }
}

/** The facts of the report-only checks (conntrack fill, iptables backends, kubelet DNS, overlay MTU); a part that fails is left out. */
async function readReportOnly(host: HostExecutor, errors: string[], distribution: Distribution, uplink: string | undefined): Promise<Partial<HostFacts>> {
  const [conntrack, iptablesBackends, kubeletDNS, overlayMTU] = await Promise.all([
    attempt(errors, "conntrack", () => readConntrack(host)),
    attempt(errors, "iptables backends", () => readIptablesBackends(host)),
    attempt(errors, "kubelet dns", () => readKubeletDNS(host, distribution)),
    attempt(errors, "overlay mtu", () => readOverlayMTU(host, uplink)),
  ]);
  return {
    ...(conntrack ? { conntrack } : {}), ...(iptablesBackends ? { iptablesBackends } : {}),
    ...(kubeletDNS ? { kubeletDNS } : {}), ...(overlayMTU ? { overlayMTU } : {}),
  };
}

/**
 * Collects the host's facts. `override` holds operator-given pod interface/CIDR (agent flags);
 * `now` is the collection time (ISO).
 */
export async function collectFacts(host: HostExecutor, override: PodNetworkFacts, now: () => string): Promise<HostSnapshot> {
  const errors: string[] = [];
  const existing = (await attempt(errors, "distribution", () => existingHostPaths(host, detectionPaths()))) ?? new Set<string>();
  const distribution: Distribution = existing.size ? distributionFromPaths(existing) : "unknown";
  const network = await attempt(errors, "pod network", () => readPodNetwork(host, override));
  const pod = network?.pod ?? override;
  const [sysctl, rpFilter, kernelModules, firewalld, ufw, vxlanChecksum, networkManager] = await Promise.all([
    attempt(errors, "sysctl", () => readSysctlFacts(host, pod.interface)),
    attempt(errors, "rp_filter", () => readRpFilter(host, pod.interface)),
    attempt(errors, "kernel modules", () => readKernelModules(host)),
    attempt(errors, "firewall", () => readFirewalld(host, pod, network?.uplink)),
    attempt(errors, "ufw", () => readUfw(host)),
    attempt(errors, "vxlan checksum offload", () => readVXLANChecksum(host)),
    attempt(errors, "NetworkManager", () => readNetworkManager(host)),
  ]);
  const reportOnly = await readReportOnly(host, errors, distribution, network?.uplink);
  const layout = layoutOf(distribution);
  const apiReading = layout ? await attempt(errors, "api server config", () => readAPIServerFacts(host, layout, existing)) : undefined;
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
    ...reportOnly,
    ...(apiReading ? { apiServer: apiReading.apiServer } : {}),
    ...(errors.length ? { errors } : {}),
  };
  return { facts, uplink: network?.uplink, firewalld, existingPaths: existing };
}
