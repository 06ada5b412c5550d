/**
 * NetworkManager as the host has it: whether NetworkManager.service runs (systemctl) or is installed
 * at all, the `unmanaged-devices` NM's configuration ends with, and which nm-cloud-setup units are
 * enabled. NM reads NetworkManager.conf, then the conf.d files of /usr/lib, /run and /etc sorted by
 * file name (the same name in /etc wins over /run over /usr/lib); a later `key=` replaces the value,
 * `key+=` appends to it and `key-=` removes from it — so the list is merged in that order.
 */
import type { NetworkManagerFacts } from "../api/index.js";
import type { HostExecutor } from "./host-executor.js";

/** NM's main file and its drop-in directories, in reading order (a later directory shadows an earlier one's file of the same name). */
export const NM_CONF = "/etc/NetworkManager/NetworkManager.conf";
export const NM_CONF_DIRS = ["/usr/lib/NetworkManager/conf.d", "/run/NetworkManager/conf.d", "/etc/NetworkManager/conf.d"] as const;
/** The nm-cloud-setup units (RHEL family's NetworkManager-cloud-setup package). */
export const CLOUD_SETUP_UNITS = ["nm-cloud-setup.service", "nm-cloud-setup.timer"] as const;
const NM_BINARY = "/usr/sbin/NetworkManager";

/** One `unmanaged-devices` line of `grep -H` output: the file, the operator and the specs. */
interface Setting {
  file: string;
  op: "=" | "+=" | "-=";
  specs: string[];
}

/** Parses `grep -r -H` lines (`path:unmanaged-devices+=a;b`). Only `.conf` files count, as in NM. */
export function parseUnmanagedSettings(text: string): Setting[] {
  return text.split("\n").flatMap((line) => {
    const match = /^([^:]+\.conf):\s*unmanaged-devices\s*([+-]?=)\s*(.*)$/.exec(line);
    if (!match?.[1] || !match[2]) return [];
    const specs = (match[3] ?? "").split(/[;,]/).map((s) => s.trim()).filter(Boolean);
    return [{ file: match[1], op: match[2] as Setting["op"], specs }];
  });
}

const baseName = (path: string): string => path.slice(path.lastIndexOf("/") + 1);
const dirRank = (path: string): number => NM_CONF_DIRS.findIndex((dir) => path.startsWith(`${dir}/`));

/** The list NM ends with: NetworkManager.conf first, then the drop-ins by name (one file per name: the last directory's). */
export function mergeUnmanaged(settings: readonly Setting[]): string[] {
  const winner = new Map<string, string>();
  for (const s of settings) {
    if (s.file === NM_CONF) continue;
    const name = baseName(s.file);
    const current = winner.get(name);
    if (current === undefined || dirRank(s.file) > dirRank(current)) winner.set(name, s.file);
  }
  const inOrder = settings.filter((s) => s.file === NM_CONF || winner.get(baseName(s.file)) === s.file);
  inOrder.sort((a, b) => (a.file === NM_CONF ? -1 : b.file === NM_CONF ? 1 : baseName(a.file) < baseName(b.file) ? -1 : baseName(a.file) > baseName(b.file) ? 1 : 0));
  let list: string[] = [];
  for (const s of inOrder) {
    if (s.op === "=") list = [...s.specs];
    else if (s.op === "+=") list = [...list, ...s.specs.filter((spec) => !list.includes(spec))];
    else list = list.filter((spec) => !s.specs.includes(spec));
  }
  return list;
}

/** The units `systemctl is-enabled` reports as enabled (one answer line per unit, in order). */
export function parseEnabled(units: readonly string[], stdout: string): string[] {
  const answers = stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  return units.filter((_unit, i) => answers[i] === "enabled" || answers[i] === "enabled-runtime");
}

async function readState(host: HostExecutor): Promise<NetworkManagerFacts["state"]> {
  const active = await host.run(["systemctl", "is-active", "NetworkManager.service"]);
  if (active.code === 127) throw new Error("systemctl is not available on the host: NetworkManager's state unknown");
  if (active.stdout.trim() === "active") return "active";
  return (await host.run(["test", "-x", NM_BINARY])).code === 0 ? "inactive" : "notInstalled";
}

/** Reads NM's facts; throws when systemctl or grep cannot tell (the fact is then unknown, never "not running"). */
export async function readNetworkManager(host: HostExecutor): Promise<NetworkManagerFacts> {
  const state = await readState(host);
  if (state === "notInstalled") return { state };
  const conf = await host.run(["grep", "-r", "-H", "-s", "-E", "^\\s*unmanaged-devices\\s*[+-]?=", NM_CONF, ...NM_CONF_DIRS]);
  if (conf.code !== 0 && conf.code !== 1 && conf.code !== 2) throw new Error(`grep of NetworkManager's configuration exited ${conf.code}`);
  const enabled = await host.run(["systemctl", "is-enabled", ...CLOUD_SETUP_UNITS]);
  const unmanagedDevices = mergeUnmanaged(parseUnmanagedSettings(conf.stdout));
  return { state, unmanagedDevices, cloudSetupEnabled: parseEnabled(CLOUD_SETUP_UNITS, enabled.stdout) };
}
