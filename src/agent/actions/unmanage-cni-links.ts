/**
 * UnmanageCNILinks: NM's own drop-in, /etc/NetworkManager/conf.d/90-netmedic-cni.conf, appending
 * (`unmanaged-devices+=`, so the admin's own list stays) the CNI link names the fresh reading shows
 * NM would manage, then `systemctl reload NetworkManager.service` (NM re-reads its configuration on
 * reload and lets go of the links); and nm-cloud-setup's timer disabled and stopped and its service
 * disabled. The policy-routing rules nm-cloud-setup already installed stay until the next reboot:
 * the detail says so, the agent never reboots. Undo as data: the file restored or removed, then NM
 * reloaded; the units enabled again.
 */
import { managedCNISpecs } from "../../core/checks-network-manager.js";
import type { HostExecutor } from "../host-executor.js";
import { readHostFile } from "../host-files.js";
import { readNetworkManager } from "../network-manager.js";
import { ActionFailure, verify, type ActionBody } from "./action.js";
import type { ChangeJournal } from "./journal.js";
import { rewriteFile } from "./sysctl-actions.js";

/** The agent's NM drop-in (90- sorts after the distributions' own conf.d files, so its `+=` applies last). */
export const NM_CNI_CONF = "/etc/NetworkManager/conf.d/90-netmedic-cni.conf";
const RELOAD = ["systemctl", "reload", "NetworkManager.service"];

/** The drop-in's text for the given specs (kept sorted and unique, so the same specs give the same file). */
export function nmDropIn(specs: Iterable<string>): string {
  const list = [...new Set(specs)].sort();
  return `# Managed by netmedic: NetworkManager must leave the CNI's links alone (rke2 #1053, calico #4662).\n[keyfile]\nunmanaged-devices+=${list.join(";")}\n`;
}

/** The specs the agent's drop-in already holds. */
function dropInSpecs(text: string | undefined): string[] {
  const line = /^unmanaged-devices\+=(.*)$/m.exec(text ?? "")?.[1] ?? "";
  return line.split(";").map((s) => s.trim()).filter(Boolean);
}

async function systemctl(host: HostExecutor, argv: string[]): Promise<void> {
  const result = await host.run(["systemctl", ...argv], { timeoutMs: 60_000 });
  if (result.code !== 0) throw new ActionFailure(`systemctl ${argv.join(" ")} exited ${result.code}: ${result.stderr.trim().split("\n")[0] ?? ""}`);
}

/** Disables each enabled nm-cloud-setup unit (the timer stopped too, so it fires no more), journaling the enable. */
async function disableCloudSetup(host: HostExecutor, journal: ChangeJournal, units: readonly string[]): Promise<void> {
  for (const unit of units) {
    const now = unit.endsWith(".timer") ? ["--now"] : [];
    await systemctl(host, ["disable", ...now, unit]);
    journal.record(`disabled ${unit}`, { kind: "command", argv: ["systemctl", "enable", ...now, unit], timeoutMs: 60_000 });
  }
}

/** The UnmanageCNILinks action body. */
export const unmanageCNILinks: ActionBody = async (_action, context, journal) => {
  const { host } = context;
  const before = await readNetworkManager(host);
  if (before.state !== "active") return { result: "Skipped", detail: `NetworkManager is ${before.state}: it manages no link` };
  const missing = managedCNISpecs(before);
  const cloud = before.cloudSetupEnabled ?? [];
  if (missing.length === 0 && cloud.length === 0) return { result: "Skipped", detail: "NetworkManager already leaves the CNI's links unmanaged and nm-cloud-setup is off" };
  if (missing.length) {
    const conf = await readHostFile(host, NM_CNI_CONF);
    // Recorded first so the rollback reloads NM after the file is back as it was.
    journal.record("NetworkManager reloaded after the drop-in is undone", { kind: "command", argv: RELOAD, timeoutMs: 60_000 });
    await rewriteFile(host, journal, NM_CNI_CONF, conf, nmDropIn([...dropInSpecs(conf), ...missing]));
    await systemctl(host, RELOAD.slice(1));
  }
  await disableCloudSetup(host, journal, cloud);
  const after = await readNetworkManager(host);
  verify(after.state === "active", `NetworkManager is ${after.state} after the reload`);
  verify(managedCNISpecs(after).length === 0, `NetworkManager still manages ${managedCNISpecs(after).join(", ")}`);
  verify((after.cloudSetupEnabled ?? []).length === 0, `still enabled: ${(after.cloudSetupEnabled ?? []).join(", ")}`);
  const done = [
    ...(missing.length ? [`${missing.join(";")} unmanaged in ${NM_CNI_CONF}, NetworkManager reloaded`] : []),
    ...(cloud.length ? [`${cloud.join(" and ")} disabled; the routing rules nm-cloud-setup already installed stay until the next reboot (not rebooted)`] : []),
  ];
  return { result: "Succeeded", detail: done.join("; ") };
};
