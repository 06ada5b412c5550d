/**
 * EnableIPForwarding and EnableBridgeNetfilter: set sysctls at runtime and persist them in the
 * agent's sysctl.d file (and br_netfilter in modules-load.d), so a reboot keeps the fix.
 * Persisting comes first: when /etc is read-only the action fails before changing anything.
 */
import type { PlannedAction } from "../../api/index.js";
import type { HostExecutor } from "../host-executor.js";
import { mergeModulesConf, mergeSysctlConf, modulesConfHas, MODULES_CONF, sysctlConfValue, SYSCTL_CONF } from "../conf-files.js";
import { readHostFile, writeHostFileAtomic } from "../host-files.js";
import {
  BRIDGE_NF_CALL_IP6TABLES, BRIDGE_NF_CALL_IPTABLES, bridgeNetfilterAvailable, interfaceForwarding, IP_FORWARD,
  readSysctls, writeSysctl, type SysctlRef,
} from "../sysctl.js";
import { ActionFailure, verify, type ActionBody } from "./action.js";
import type { ChangeJournal } from "./journal.js";

/** Rewrites a host file through the journal (undo restores the previous content, or removes it). */
export async function rewriteFile(host: HostExecutor, journal: ChangeJournal, path: string, previous: string | undefined, next: string): Promise<void> {
  if (previous === next) return;
  await writeHostFileAtomic(host, path, next);
  journal.record(`wrote ${path}`, previous === undefined ? { kind: "remove", path } : { kind: "write", path, content: previous });
}

/**
 * Brings `runtime` sysctls to 1 and `persisted` ones into SYSCTL_CONF; Skipped when all already are.
 * Returns the detail text.
 */
async function ensureSysctls(host: HostExecutor, journal: ChangeJournal, runtime: SysctlRef[], persisted: SysctlRef[]): Promise<{ changed: boolean; detail: string }> {
  const before = await readSysctls(host, runtime);
  const missing = runtime.filter((ref) => !before.has(ref.path));
  if (missing.length) throw new ActionFailure(`sysctl ${missing.map((r) => r.key).join(", ")} does not exist on this host`);
  const conf = await readHostFile(host, SYSCTL_CONF);
  const unpersisted = persisted.filter((ref) => sysctlConfValue(conf, ref.key) !== "1");
  const off = runtime.filter((ref) => before.get(ref.path) !== 1);
  if (unpersisted.length === 0 && off.length === 0) return { changed: false, detail: `${runtime.map((r) => `${r.key}=1`).join(", ")} already set and persisted` };
  await rewriteFile(host, journal, SYSCTL_CONF, conf, mergeSysctlConf(conf, persisted.map((r) => [r.key, 1] as const)));
  for (const ref of off) {
    const previous = before.get(ref.path) ?? 0;
    await writeSysctl(host, ref, 1);
    journal.record(`set ${ref.key}=1`, { kind: "sysctl", key: ref.key, value: previous });
  }
  const after = await readSysctls(host, runtime);
  verify(runtime.every((ref) => after.get(ref.path) === 1), `${runtime.map((r) => `${r.key}=${after.get(r.path) ?? "?"}`).join(", ")}`);
  const reread = await readHostFile(host, SYSCTL_CONF);
  verify(persisted.every((ref) => sysctlConfValue(reread, ref.key) === "1"), `${SYSCTL_CONF} does not persist ${persisted.map((r) => r.key).join(", ")}`);
  const set = off.map((r) => `${r.key}: ${before.get(r.path)} → 1`);
  return { changed: true, detail: `${set.length ? set.join(", ") : "runtime already 1"}; persisted in ${SYSCTL_CONF}` };
}

/** EnableIPForwarding: net.ipv4.ip_forward=1 (and the pod interface's forwarding flag), persisted. */
export const enableIPForwarding: ActionBody = async (action: PlannedAction, context, journal) => {
  const name = action.podInterface ?? context.snapshot.facts.podNetwork?.interface;
  const runtime = [IP_FORWARD];
  if (name) {
    const ref = interfaceForwarding(name);
    if ((await readSysctls(context.host, [ref])).has(ref.path)) runtime.push(ref);
  }
  const { changed, detail } = await ensureSysctls(context.host, journal, runtime, [IP_FORWARD]);
  return { result: changed ? "Succeeded" : "Skipped", detail };
};

/**
 * EnableBridgeNetfilter: br_netfilter available (modprobe only when /proc/sys/net/bridge is absent;
 * a failing modprobe is fine when the module is built in), persisted in modules-load.d, and both
 * bridge-nf-call sysctls 1, persisted.
 */
export const enableBridgeNetfilter: ActionBody = async (_action, context, journal) => {
  const { host } = context;
  let loadedNow = false;
  if (!(await bridgeNetfilterAvailable(host))) {
    const probe = await host.run(["modprobe", "br_netfilter"], { timeoutMs: 15_000 });
    if (!(await bridgeNetfilterAvailable(host))) {
      throw new ActionFailure(`br_netfilter is not available: /proc/sys/net/bridge is absent and modprobe exited ${probe.code}`);
    }
    loadedNow = true;
  }
  const modules = await readHostFile(host, MODULES_CONF);
  const modulesChanged = !modulesConfHas(modules, "br_netfilter");
  await rewriteFile(host, journal, MODULES_CONF, modules, mergeModulesConf(modules, "br_netfilter"));
  const refs = [BRIDGE_NF_CALL_IPTABLES, BRIDGE_NF_CALL_IP6TABLES];
  const { changed, detail } = await ensureSysctls(host, journal, refs, refs);
  verify(modulesConfHas(await readHostFile(host, MODULES_CONF), "br_netfilter"), `${MODULES_CONF} does not load br_netfilter`);
  const extra = [loadedNow ? "loaded br_netfilter" : "", modulesChanged ? `persisted br_netfilter in ${MODULES_CONF}` : ""].filter(Boolean);
  const any = changed || modulesChanged || loadedNow;
  return { result: any ? "Succeeded" : "Skipped", detail: [...extra, detail].join("; ") };
};
