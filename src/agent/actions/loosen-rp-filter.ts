/**
 * LoosenReversePathFilter: set rp_filter to loose (2) where it is strict on the pod path — `all`
 * when it is strict itself, else `default` (so each new pod's veth starts loose) and the strict
 * links the order names — judged again on fresh readings with the core's `strictSettings`, the
 * rule the ReversePathFilter check uses. Loose, not off: the kernel still drops packets from
 * sources it cannot route at all, only the asymmetric paths pod networks take pass.
 * Persisted first (but the per-pod links), in a drop-in of its own that sorts after Debian's 99-sysctl.conf (the
 * admin's /etc/sysctl.conf, where a strict value would otherwise win at boot); systemd's udev rule
 * applies a link's keys from it when the link appears. Each runtime write is journaled with the
 * previous value.
 */
import { MAX_RP_FILTER_LINKS, type PlannedAction } from "../../api/index.js";
import { strictSettings } from "../../core/checks-rp-filter.js";
import type { HostExecutor } from "../host-executor.js";
import { mergeSysctlConf, sysctlConfValue } from "../conf-files.js";
import { readHostFile } from "../host-files.js";
import { readRpFilter, rpFilterRef } from "../rp-filter.js";
import { readSysctls, writeSysctl } from "../sysctl.js";
import { InvalidParameterError, validInterface } from "../validate.js";
import { verify, type ActionBody } from "./action.js";
import type { ChangeJournal } from "./journal.js";
import { rewriteFile } from "./sysctl-actions.js";

/** Per-pod host-side links: they die with their pod and a new one starts from `default`, so they are set at runtime only. */
const PER_POD_LINK = /^(cali|lxc|veth).+$/;

/** The agent's rp_filter drop-in ("zzz" sorts it after 99-sysctl.conf; a CNI's own 99-zzz-override_* still comes later). */
export const RP_FILTER_CONF = "/etc/sysctl.d/99-zzz-netmedic-rp-filter.conf";
const LOOSE = 2;

/** The links the order allows touching, validated; `all` and `default` are always judged. */
function allowedLinks(action: PlannedAction): Set<string> {
  const links = action.links ?? [];
  if (links.length > MAX_RP_FILTER_LINKS) throw new InvalidParameterError(`invalid links: more than ${MAX_RP_FILTER_LINKS}`);
  return new Set(["all", "default", ...links.map(validInterface)]);
}

/** What is strict now among the allowed settings. */
async function strictNow(host: HostExecutor, allowed: ReadonlySet<string>, podInterface?: string): Promise<string[]> {
  return strictSettings(await readRpFilter(host, podInterface)).filter((name) => allowed.has(name));
}

/** Sets each setting loose at runtime, journaling its previous value. */
async function loosen(host: HostExecutor, journal: ChangeJournal, settings: readonly string[]): Promise<string[]> {
  const refs = settings.map(rpFilterRef);
  const before = await readSysctls(host, refs);
  const changed: string[] = [];
  for (const ref of refs) {
    const previous = before.get(ref.path);
    if (previous === undefined) continue; // the link went away since the reading: nothing to filter
    await writeSysctl(host, ref, LOOSE);
    journal.record(`set ${ref.key}=${LOOSE}`, { kind: "sysctl", key: ref.key, value: previous });
    changed.push(`${ref.key}: ${previous} → ${LOOSE}`);
  }
  return changed;
}

/** The LoosenReversePathFilter action body. */
export const loosenReversePathFilter: ActionBody = async (action, context, journal) => {
  const { host } = context;
  const podInterface = context.snapshot.facts.podNetwork?.interface;
  const allowed = allowedLinks(action);
  const settings = await strictNow(host, allowed, podInterface);
  if (settings.length === 0) return { result: "Skipped", detail: "rp_filter is not strict on the pod path (all, default and the ordered links)" };
  const keys = settings.filter((name) => !PER_POD_LINK.test(name)).map((name) => rpFilterRef(name).key);
  const conf = await readHostFile(host, RP_FILTER_CONF);
  await rewriteFile(host, journal, RP_FILTER_CONF, conf, mergeSysctlConf(conf, keys.map((key) => [key, LOOSE] as const)));
  const changed = await loosen(host, journal, settings);
  const still = await strictNow(host, allowed, podInterface);
  verify(still.length === 0, `rp_filter still strict on ${still.join(", ")}`);
  const reread = await readHostFile(host, RP_FILTER_CONF);
  verify(keys.every((key) => sysctlConfValue(reread, key) === String(LOOSE)), `${RP_FILTER_CONF} does not persist ${keys.join(", ")} = ${LOOSE}`);
  return { result: "Succeeded", detail: `${changed.join(", ")}; persisted in ${RP_FILTER_CONF}` };
};
