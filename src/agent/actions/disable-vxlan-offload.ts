/**
 * DisableVXLANChecksumOffload: turn tx-checksum-ip-generic off on the VXLAN links the order names
 * (`ethtool -K`), judged again on fresh readings. The CNI deletes and recreates its VXLAN link
 * (flannel and Felix at each restart), which brings the offload back, so it is persisted as a udev
 * rule that runs the same ethtool command whenever a link of that name appears — written after the
 * runtime change, so a read-only /etc (an immutable OS) fails the action and rolls the change back. A udev rule,
 * not a systemd-networkd .link file: only the first matching .link applies, so ours would replace
 * the distribution's 99-default.link for these links (and its MACAddressPolicy, which once broke
 * flannel's VXLAN MACs); nor a NetworkManager dispatcher script, which runs only where NM runs and
 * manages the link. Each runtime change is journaled with the command that turns it on again.
 */
import { MAX_VXLAN_LINKS, type PlannedAction } from "../../api/index.js";
import type { HostExecutor } from "../host-executor.js";
import { readHostFile } from "../host-files.js";
import { InvalidParameterError, validInterface } from "../validate.js";
import { listVXLANLinks, readOffload, TX_CHECKSUM_FEATURE } from "../vxlan-offload.js";
import { ActionFailure, verify, type ActionBody } from "./action.js";
import type { ChangeJournal } from "./journal.js";
import { rewriteFile } from "./sysctl-actions.js";

/** The agent's udev rule (rules.d in /etc overrides nothing of the distribution's: the name is netmedic's own). */
export const VXLAN_UDEV_RULE = "/etc/udev/rules.d/90-netmedic-vxlan-checksum.rules";
const HEADER = "# Managed by netmedic: VXLAN links are recreated by their CNI; turn their transmit checksum offload off each time one appears.\n";
/** Where udev finds ethtool: udev's RUN needs an absolute path (merged-/usr first, then /sbin). */
const ETHTOOL_PATHS = ["/usr/sbin/ethtool", "/sbin/ethtool"];

/** The links a rule file covers (its KERNEL== matches). */
export function ruleLinks(content: string | undefined): Set<string> {
  return new Set([...(content ?? "").matchAll(/^ACTION=="add", SUBSYSTEM=="net", KERNEL=="([^"]+)"/gm)].map((m) => m[1] as string));
}

/** The rule file covering `links` (sorted, one rule each) with the given ethtool. */
export function ruleFile(links: Iterable<string>, ethtool: string): string {
  const rules = [...new Set(links)].sort().map((link) => `ACTION=="add", SUBSYSTEM=="net", KERNEL=="${link}", RUN+="${ethtool} -K %k ${TX_CHECKSUM_FEATURE} off"\n`);
  return HEADER + rules.join("");
}

function orderedLinks(action: PlannedAction): string[] {
  const links = action.links ?? [];
  if (links.length === 0 || links.length > MAX_VXLAN_LINKS) throw new InvalidParameterError(`invalid links: 1 to ${MAX_VXLAN_LINKS} expected`);
  return links.map(validInterface);
}

/** The ethtool udev must run; throws when the host has no udev rules directory or no ethtool. */
async function ethtoolPath(host: HostExecutor): Promise<string> {
  const rulesDir = VXLAN_UDEV_RULE.slice(0, VXLAN_UDEV_RULE.lastIndexOf("/"));
  if ((await host.run(["test", "-d", rulesDir])).code !== 0) throw new ActionFailure(`${rulesDir} does not exist: no udev to persist the change with`);
  for (const path of ETHTOOL_PATHS) if ((await host.run(["test", "-x", path])).code === 0) return path;
  throw new ActionFailure(`ethtool is not installed on the host (${ETHTOOL_PATHS.join(", ")})`);
}

/**
 * The ordered links that offload now. A link absent now (being recreated) is left to the rule; one
 * that exists but is not VXLAN is refused: the action touches nothing else of the host's network.
 */
async function offloadOn(host: HostExecutor, links: readonly string[]): Promise<string[]> {
  const vxlan = new Set(await listVXLANLinks(host));
  const on: string[] = [];
  for (const link of links) {
    if (!vxlan.has(link)) {
      if ((await host.run(["ip", "link", "show", "dev", link])).code === 0) throw new InvalidParameterError(`invalid link ${link}: not a VXLAN link`);
    } else if (await readOffload(host, link)) on.push(link);
  }
  return on;
}

async function turnOff(host: HostExecutor, journal: ChangeJournal, links: readonly string[]): Promise<void> {
  for (const link of links) {
    const result = await host.run(["ethtool", "-K", link, TX_CHECKSUM_FEATURE, "off"]);
    if (result.code !== 0) throw new ActionFailure(`ethtool -K ${link} ${TX_CHECKSUM_FEATURE} off exited ${result.code}: ${result.stderr.trim().split("\n")[0] ?? ""}`);
    journal.record(`${TX_CHECKSUM_FEATURE} off on ${link}`, { kind: "command", argv: ["ethtool", "-K", link, TX_CHECKSUM_FEATURE, "on"] });
  }
}

/** The DisableVXLANChecksumOffload action body. */
export const disableVXLANChecksumOffload: ActionBody = async (action, context, journal) => {
  const { host } = context;
  const links = orderedLinks(action);
  const on = await offloadOn(host, links);
  const rule = await readHostFile(host, VXLAN_UDEV_RULE);
  const covered = ruleLinks(rule);
  const unpersisted = links.filter((link) => !covered.has(link));
  if (on.length === 0 && unpersisted.length === 0) return { result: "Skipped", detail: `${TX_CHECKSUM_FEATURE} already off on ${links.join(", ")} and persisted in ${VXLAN_UDEV_RULE}` };
  const ethtool = unpersisted.length ? await ethtoolPath(host) : "";
  await turnOff(host, journal, on);
  if (unpersisted.length) await rewriteFile(host, journal, VXLAN_UDEV_RULE, rule, ruleFile([...covered, ...links], ethtool));
  const still = await offloadOn(host, links);
  verify(still.length === 0, `${TX_CHECKSUM_FEATURE} still on on ${still.join(", ")}`);
  const reread = ruleLinks(await readHostFile(host, VXLAN_UDEV_RULE));
  verify(links.every((link) => reread.has(link)), `${VXLAN_UDEV_RULE} does not cover ${links.join(", ")}`);
  return { result: "Succeeded", detail: `${TX_CHECKSUM_FEATURE} off on ${on.length ? on.join(", ") : "no link (already off)"}; persisted in ${VXLAN_UDEV_RULE}` };
};
