/**
 * The agent's own persistence files: sysctl settings in /etc/sysctl.d/90-netmedic.conf and kernel
 * modules in /etc/modules-load.d/netmedic.conf (docs/architecture.md §8.1: k0s and k3s set these at runtime
 * only). Pure merges: existing lines (and the operator's comments) are kept, a key is set once.
 */

/** Where the agent persists sysctls and modules. */
export const SYSCTL_CONF = "/etc/sysctl.d/90-netmedic.conf";
export const MODULES_CONF = "/etc/modules-load.d/netmedic.conf";

const HEADER = "# Managed by netmedic: node networking settings Kubernetes needs (see the NetworkHealth of this node).\n";

function sysctlKeyOf(line: string): string | undefined {
  const match = /^\s*-?\s*([A-Za-z0-9_./-]+)\s*=/.exec(line);
  return match?.[1] && !/^\s*[#;]/.test(line) ? match[1] : undefined;
}

/** The value a sysctl.d file sets for `key` (last assignment wins, as systemd-sysctl applies it). */
export function sysctlConfValue(content: string | undefined, key: string): string | undefined {
  let value: string | undefined;
  for (const line of (content ?? "").split("\n")) {
    if (sysctlKeyOf(line) === key) value = line.slice(line.indexOf("=") + 1).trim();
  }
  return value;
}

/** Sets each `key = value` in a sysctl.d file: rewrites existing assignments, appends missing ones. */
export function mergeSysctlConf(content: string | undefined, settings: ReadonlyArray<readonly [string, number]>): string {
  const lines = content === undefined ? [] : content.replace(/\n$/, "").split("\n");
  const wanted = new Map(settings.map(([key, value]) => [key, String(value)]));
  const seen = new Set<string>();
  const out = lines.map((line) => {
    const key = sysctlKeyOf(line);
    if (key === undefined || !wanted.has(key)) return line;
    seen.add(key);
    return `${key} = ${wanted.get(key)}`;
  });
  for (const [key, value] of wanted) if (!seen.has(key)) out.push(`${key} = ${value}`);
  return `${content === undefined ? HEADER : ""}${out.join("\n")}\n`;
}

/** Whether a modules-load.d file loads `module`. */
export function modulesConfHas(content: string | undefined, module: string): boolean {
  return (content ?? "").split("\n").some((line) => line.trim() === module);
}

/** Adds `module` to a modules-load.d file once. */
export function mergeModulesConf(content: string | undefined, module: string): string {
  if (modulesConfHas(content, module)) return content ?? "";
  const base = content === undefined ? HEADER : content.endsWith("\n") || content === "" ? content : `${content}\n`;
  return `${base}${module}\n`;
}
