/**
 * Where the kernel modules Kubernetes networking needs stand on the host, from evidence only: the
 * loaded list (/proc/modules), /sys/module (a module there but not in /proc/modules is built in;
 * a kernel without module support has no /proc/modules at all), the build config
 * (/boot/config-<release>: =y built in, not set absent), and the module tree of the running kernel
 * (modules.builtin, modules.dep). A module none of those can place is `unknown`, never guessed.
 */
import type { KernelModuleFacts, KernelModuleState } from "../api/index.js";
import type { HostExecutor } from "./host-executor.js";

/** The modules netmedic looks at, with the build-config symbol of each. */
export const KERNEL_MODULES = { overlay: "CONFIG_OVERLAY_FS", nf_conntrack: "CONFIG_NF_CONNTRACK", br_netfilter: "CONFIG_BRIDGE_NETFILTER", vxlan: "CONFIG_VXLAN" } as const;
/** A module netmedic knows. */
export type KernelModule = keyof typeof KERNEL_MODULES;
const NAMES = Object.keys(KERNEL_MODULES) as KernelModule[];

/** What the files said; undefined = could not be read. */
export interface ModuleEvidence {
  loaded?: ReadonlySet<string>;
  inSysfs: ReadonlySet<string>;
  /** Module → y, m or "no" (# CONFIG_X is not set). */
  config?: ReadonlyMap<string, string>;
  builtinList?: ReadonlySet<string>;
  depList?: ReadonlySet<string>;
}

/** Module names of /proc/modules (the first column). */
export function parseProcModules(text: string): Set<string> {
  return new Set(text.split("\n").map((line) => line.split(" ")[0] ?? "").filter(Boolean));
}

/** The known modules a modules.builtin/modules.dep text names (`kernel/drivers/net/vxlan/vxlan.ko.zst: …`). */
export function modulesInTree(text: string): Set<string> {
  const found = new Set<string>();
  for (const line of text.split("\n")) {
    const match = /(?:^|\/)([a-z0-9_-]+)\.ko(?:\.[a-z]+)?(?::|$)/.exec(line);
    const name = match?.[1]?.replaceAll("-", "_");
    if (name && (NAMES as string[]).includes(name)) found.add(name);
  }
  return found;
}

/** y/m/no per known module from a kernel build config. */
export function parseKernelConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const name of NAMES) {
    const symbol = KERNEL_MODULES[name];
    const set = new RegExp(`^${symbol}=([ym])$`, "m").exec(text);
    if (set?.[1]) values.set(name, set[1]);
    else if (new RegExp(`^# ${symbol} is not set$`, "m").test(text)) values.set(name, "no");
  }
  return values;
}

/** One module's state from the evidence, strongest first. */
export function moduleState(name: KernelModule, e: ModuleEvidence): KernelModuleState["state"] {
  if (e.loaded?.has(name)) return "loaded";
  if (e.inSysfs.has(name) || e.config?.get(name) === "y" || e.builtinList?.has(name)) return "builtin";
  if (e.depList?.has(name)) return "available";
  if (e.config?.get(name) === "no" || e.depList) return "notInstalled";
  return "unknown";
}

/** A file's text, or undefined when it cannot be read. */
async function readText(host: HostExecutor, path: string): Promise<string | undefined> {
  const result = await host.run(["cat", "--", path]);
  return result.code === 0 ? result.stdout : undefined;
}

/** Lines of a (possibly large) module list that name a known module; undefined when unreadable. */
async function grepTree(host: HostExecutor, path: string): Promise<Set<string> | undefined> {
  const result = await host.run(["grep", "-E", `(^|/)(${NAMES.join("|")})\\.ko`, "--", path]);
  return result.code === 0 || result.code === 1 ? modulesInTree(result.stdout) : undefined;
}

/** The names of /sys/module entries among the known modules. */
async function inSysfs(host: HostExecutor): Promise<Set<string>> {
  const result = await host.run(["stat", "-c", "%n", ...NAMES.map((n) => `/sys/module/${n}`)]);
  return new Set(result.stdout.split("\n").map((p) => p.replace("/sys/module/", "")).filter(Boolean));
}

/** Reads the known modules' states on the host. */
export async function readKernelModules(host: HostExecutor): Promise<KernelModuleFacts> {
  const release = (await readText(host, "/proc/sys/kernel/osrelease"))?.trim();
  if (!release || !/^[A-Za-z0-9._+~-]+$/.test(release)) throw new Error("kernel release unreadable (/proc/sys/kernel/osrelease)");
  const tree = `/lib/modules/${release}`;
  const [procModules, sysfs, config, builtinList, depList] = await Promise.all([
    readText(host, "/proc/modules"), inSysfs(host), readText(host, `/boot/config-${release}`),
    grepTree(host, `${tree}/modules.builtin`), grepTree(host, `${tree}/modules.dep`),
  ]);
  const evidence: ModuleEvidence = {
    ...(procModules === undefined ? {} : { loaded: parseProcModules(procModules) }),
    inSysfs: sysfs, ...(config === undefined ? {} : { config: parseKernelConfig(config) }),
    ...(builtinList ? { builtinList } : {}), ...(depList ? { depList } : {}),
  };
  return { release, modules: NAMES.map((name) => ({ name, state: moduleState(name, evidence) })) };
}
