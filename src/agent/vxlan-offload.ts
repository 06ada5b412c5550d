/**
 * Transmit checksum offload of the host's VXLAN links as the kernel has it now: the links by type
 * (`ip -d -o link show type vxlan`, so flannel.1, vxlan.calico and any other CNI's name are found
 * alike), then `ethtool -k` on each, and whether UDP datagrams have arrived with a bad checksum
 * (/proc/net/snmp, per network namespace). A missing ethtool with VXLAN links present throws: the
 * setting is then unknown, never "off".
 */
import { MAX_VXLAN_LINKS, type VXLANChecksumFacts } from "../api/index.js";
import type { HostExecutor } from "./host-executor.js";
import { procNetCounter } from "./proc-net.js";
import { validInterface } from "./validate.js";

/** The ethtool feature the VXLAN checksum bug needs off (VXLAN links have no other tx checksum feature). */
export const TX_CHECKSUM_FEATURE = "tx-checksum-ip-generic";

/** Link names of `ip -d -o link show type vxlan` (`4: flannel.1: <…>` or `4: flannel.1@eth0: <…>`). */
export function parseVXLANLinks(text: string): string[] {
  return text.split("\n").flatMap((line) => {
    const name = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s/.exec(line)?.[1];
    return name ? [name] : [];
  });
}

/** Whether `ethtool -k` output says the feature is on ("on" or "on [fixed]"); undefined when it is not listed. */
export function parseOffload(text: string, feature = TX_CHECKSUM_FEATURE): boolean | undefined {
  const value = new RegExp(`^\\s*${feature}:\\s*(on|off)\\b`, "m").exec(text)?.[1];
  return value === undefined ? undefined : value === "on";
}

/** The InCsumErrors counter of the `Udp:` lines of /proc/net/snmp (not UdpLite's); undefined when absent. */
export function parseUdpChecksumErrors(snmp: string): number | undefined {
  return procNetCounter(snmp, "Udp:", "InCsumErrors");
}

/** The names of the host's VXLAN links, at most MAX_VXLAN_LINKS, validated. */
export async function listVXLANLinks(host: HostExecutor): Promise<string[]> {
  const listed = await host.run(["ip", "-d", "-o", "link", "show", "type", "vxlan"]);
  if (listed.code !== 0) throw new Error(`ip link show type vxlan exited ${listed.code}: ${listed.stderr.trim().slice(0, 200)}`);
  return parseVXLANLinks(listed.stdout).slice(0, MAX_VXLAN_LINKS).map(validInterface);
}

/** Whether one link offloads its transmit checksum now; throws when ethtool cannot tell. */
export async function readOffload(host: HostExecutor, link: string): Promise<boolean> {
  const result = await host.run(["ethtool", "-k", validInterface(link)]);
  if (result.code === 127) throw new Error("ethtool is not installed on the host: VXLAN checksum offload unknown");
  const on = result.code === 0 ? parseOffload(result.stdout) : undefined;
  if (on === undefined) throw new Error(`ethtool -k ${link} exited ${result.code} without ${TX_CHECKSUM_FEATURE}: ${result.stderr.trim().slice(0, 200)}`);
  return on;
}

/** Reads the host's VXLAN checksum facts; `udpChecksumErrors` is left out when /proc/net/snmp cannot tell. */
export async function readVXLANChecksum(host: HostExecutor): Promise<VXLANChecksumFacts> {
  const names = await listVXLANLinks(host);
  const links = [];
  for (const name of names) links.push({ name, txChecksumOffload: await readOffload(host, name) });
  const snmp = await host.run(["cat", "--", "/proc/net/snmp"]);
  const errors = snmp.code === 0 ? parseUdpChecksumErrors(snmp.stdout) : undefined;
  return errors === undefined ? { links } : { links, udpChecksumErrors: errors > 0 };
}
