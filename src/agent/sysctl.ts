/**
 * Kernel networking settings of the host's network namespace. Reads go through /proc/sys paths
 * (one `grep -H ^` for all, inside the host's namespaces: net.* sysctls are per network namespace);
 * writes through `sysctl -w`. Interface names may contain dots (flannel.1): in a sysctl key those
 * become '/', in a /proc/sys path they stay.
 */
import type { SysctlFacts } from "../api/index.js";
import { withoutEmpty } from "../core/without-empty.js";
import { mustRun, type HostExecutor } from "./host-executor.js";
import { validInterface, validSysctlName } from "./validate.js";

/** A sysctl as key (for `sysctl -w`) and /proc/sys path (for reads). */
export interface SysctlRef {
  key: string;
  path: string;
}

/** Builds the ref from path components (e.g. ["net", "ipv4", "conf", "flannel.1", "forwarding"]). */
export function sysctlRef(...parts: string[]): SysctlRef {
  return { key: parts.map((p) => p.replaceAll(".", "/")).join("."), path: `/proc/sys/${parts.join("/")}` };
}

/** The sysctls the diagnosis and the actions use; BRIDGE_SYSCTL_DIR exists iff bridge netfilter is available. */
export const IP_FORWARD = sysctlRef("net", "ipv4", "ip_forward");
export const BRIDGE_NF_CALL_IPTABLES = sysctlRef("net", "bridge", "bridge-nf-call-iptables");
export const BRIDGE_NF_CALL_IP6TABLES = sysctlRef("net", "bridge", "bridge-nf-call-ip6tables");
const BRIDGE_SYSCTL_DIR = "/proc/sys/net/bridge";

/** net.ipv4.conf.<if>.forwarding for a validated interface. */
export function interfaceForwarding(name: string): SysctlRef {
  return sysctlRef("net", "ipv4", "conf", validInterface(name), "forwarding");
}

/** Parses `grep -H ^ paths…` output into path → integer value. */
export function parseSysctlValues(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^(\/proc\/sys\/[^:]+):(-?\d+)\s*$/.exec(line);
    if (match?.[1] && match[2] !== undefined) values.set(match[1], Number(match[2]));
  }
  return values;
}

/** Reads integer sysctls; a sysctl that does not exist is absent from the map. */
export async function readSysctls(host: HostExecutor, refs: readonly SysctlRef[]): Promise<Map<string, number>> {
  const result = await host.run(["grep", "-H", "-s", "^", "--", ...refs.map((r) => r.path)]);
  if (result.code !== 0 && result.code !== 2) throw new Error(`reading sysctls: grep exited ${result.code}`);
  return parseSysctlValues(result.stdout);
}

/** Sets a sysctl at runtime. */
export async function writeSysctl(host: HostExecutor, ref: SysctlRef, value: number): Promise<void> {
  await mustRun(host, ["sysctl", "-q", "-w", `${validSysctlName(ref.key)}=${Math.trunc(value)}`]);
}

/** Whether bridge netfilter is available (br_netfilter loaded or built in). */
export async function bridgeNetfilterAvailable(host: HostExecutor): Promise<boolean> {
  const result = await host.run(["test", "-d", BRIDGE_SYSCTL_DIR]);
  if (result.code !== 0 && result.code !== 1) throw new Error(`test -d ${BRIDGE_SYSCTL_DIR} exited ${result.code}`);
  return result.code === 0;
}

/** The SysctlFacts of the host. */
export async function readSysctlFacts(host: HostExecutor, podInterface?: string): Promise<SysctlFacts> {
  const podRef = podInterface ? interfaceForwarding(podInterface) : undefined;
  const refs = [IP_FORWARD, BRIDGE_NF_CALL_IPTABLES, BRIDGE_NF_CALL_IP6TABLES, ...(podRef ? [podRef] : [])];
  const [values, bridge] = await Promise.all([readSysctls(host, refs), bridgeNetfilterAvailable(host)]);
  const facts: SysctlFacts = {
    ipForward: values.get(IP_FORWARD.path),
    podInterfaceForwarding: podRef ? values.get(podRef.path) : undefined,
    bridgeNfCallIptables: values.get(BRIDGE_NF_CALL_IPTABLES.path),
    bridgeNfCallIp6tables: values.get(BRIDGE_NF_CALL_IP6TABLES.path),
    bridgeNetfilterLoaded: bridge,
  };
  return withoutEmpty(facts);
}
