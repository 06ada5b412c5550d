/**
 * Which iptables backends hold Kubernetes/CNI rules: `iptables-legacy-save` (the kernel's x_tables)
 * and `iptables-nft-save` (nftables' iptables-compat tables), IPv4. A rule belongs to Kubernetes or
 * a CNI when its chain is one they create (KUBE-*, CNI-*, FLANNEL-*, cali-*, CILIUM_*). The legacy
 * side needs no tool when the kernel has no x_tables table at all (/proc/net/ip_tables_names
 * empty or absent: nothing can be there); otherwise a missing or failing tool throws and the
 * backends are unknown, never "empty".
 */
import type { IptablesBackendFacts, IptablesBackendRules } from "../api/index.js";
import type { HostExecutor } from "./host-executor.js";

/** Chain prefixes of Kubernetes (kube-proxy, kubelet) and the common CNIs, with the owner each names. */
export const KUBE_CHAIN_OWNERS: ReadonlyArray<readonly [owner: IptablesBackendRules["kubeOwners"][number], prefix: string]> = [
  ["kube", "KUBE-"], ["cni", "CNI-"], ["flannel", "FLANNEL-"], ["calico", "cali-"], ["cilium", "CILIUM_"],
];

/** Rules of an iptables-save text: how many `-A` lines, and the owners whose chains hold any. */
export function parseSave(text: string): IptablesBackendRules {
  const owners = new Set<IptablesBackendRules["kubeOwners"][number]>();
  let rules = 0;
  for (const line of text.split("\n")) {
    const chain = /^-A\s+(\S+)/.exec(line)?.[1];
    if (!chain) continue;
    rules += 1;
    for (const [owner, prefix] of KUBE_CHAIN_OWNERS) if (chain.startsWith(prefix)) owners.add(owner);
  }
  return { hasRules: rules > 0, kubeOwners: KUBE_CHAIN_OWNERS.map(([owner]) => owner).filter((o) => owners.has(o)) };
}

/** One backend's rules; throws when its save tool is missing or fails. */
async function saveOf(host: HostExecutor, tool: "iptables-legacy-save" | "iptables-nft-save"): Promise<IptablesBackendRules> {
  const result = await host.run([tool]);
  if (result.code === 127) throw new Error(`${tool} is not installed on the host: iptables backends unknown`);
  if (result.code !== 0) throw new Error(`${tool} exited ${result.code}: ${result.stderr.trim().slice(0, 200)}`);
  return parseSave(result.stdout);
}

/** Whether the kernel has any legacy x_tables IPv4 table (undefined: cannot tell). */
async function legacyTablesExist(host: HostExecutor): Promise<boolean | undefined> {
  const result = await host.run(["cat", "--", "/proc/net/ip_tables_names"]);
  if (result.code === 0) return result.stdout.trim() !== "";
  return /No such file or directory/.test(result.stderr) ? false : undefined;
}

/** Reads both backends' Kubernetes/CNI rules. */
export async function readIptablesBackends(host: HostExecutor): Promise<IptablesBackendFacts> {
  const legacy = (await legacyTablesExist(host)) === false ? { hasRules: false, kubeOwners: [] } : await saveOf(host, "iptables-legacy-save");
  return { legacy, nft: await saveOf(host, "iptables-nft-save") };
}
