/**
 * firewalld changes as bindings that can be queried, applied and undone in either scope (runtime
 * or --permanent). netmedic makes every change in both scopes: `--reload` discards runtime-only
 * changes, and permanent-only ones do nothing until a reload (FACTS.md §3). It never stops
 * firewalld and never uses firewall-offline-cmd while firewalld runs.
 */
import type { HostExecutor } from "./host-executor.js";
import { changeOutcome, parseQuery, parseZoneOf } from "./firewalld-parse.js";
import { ActionFailure } from "./actions/action.js";

/** runtime or permanent configuration. */
export type Scope = "runtime" | "permanent";
export const SCOPES: readonly Scope[] = ["runtime", "permanent"];

const TIMEOUT = { timeoutMs: 30_000 };
const scoped = (scope: Scope, ...args: string[]): string[] => ["firewall-cmd", ...(scope === "permanent" ? ["--permanent"] : []), ...args];

/** Service definitions netmedic creates when the distribution does not ship them (FACTS.md §1). */
export const KNOWN_SERVICES: Record<string, readonly string[]> = {
  "k0s-worker": ["179/tcp", "4789/udp", "10250/tcp"],
  "k0s-controller": ["2380/tcp", "6443/tcp", "8132/tcp", "9443/tcp"],
};

/** Runs a firewall-cmd change; throws ActionFailure with firewalld's own error text. */
export async function change(host: HostExecutor, argv: string[]): Promise<"applied" | "already"> {
  const r = await host.run(argv, TIMEOUT);
  const outcome = changeOutcome(r.code, r.stderr);
  if (outcome === "failed") throw new ActionFailure(`${argv.slice(1).join(" ")}: ${r.stderr.trim().split("\n").at(-1) ?? `exit ${r.code}`}`);
  return outcome;
}

/** An undo that tolerates the change being gone already. */
async function undoChange(host: HostExecutor, argv: string[]): Promise<void> {
  const r = await host.run(argv, TIMEOUT);
  if (r.code !== 0 && !/UNKNOWN_SOURCE|UNKNOWN_INTERFACE|NOT_ENABLED|INVALID_SERVICE/.test(r.stderr)) {
    throw new Error(`${argv.slice(1).join(" ")}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }
}

async function query(host: HostExecutor, argv: string[]): Promise<boolean> {
  const r = await host.run(argv, TIMEOUT);
  const answer = parseQuery(r.code, r.stdout);
  if (answer === undefined) throw new ActionFailure(`${argv.slice(1).join(" ")}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return answer;
}

/** One desired firewalld setting. */
export interface Binding {
  describe: string;
  holds(scope: Scope): Promise<boolean>;
  /** Applies it; resolves to the undo. */
  apply(scope: Scope): Promise<() => Promise<void>>;
}

/** An interface or source bound to a zone (moved from its previous zone, which the undo restores). */
export function zoneMember(host: HostExecutor, zone: string, kind: "interface" | "source", value: string): Binding {
  return {
    describe: `${kind} ${value} in zone ${zone}`,
    holds: (scope) => query(host, scoped(scope, `--zone=${zone}`, `--query-${kind}=${value}`)),
    async apply(scope) {
      const r = await host.run(scoped(scope, `--get-zone-of-${kind}=${value}`), TIMEOUT);
      const previous = parseZoneOf(r.code, r.stdout, r.stderr);
      if (previous === undefined) throw new ActionFailure(`cannot read the zone of ${kind} ${value}: ${r.stderr.trim()}`);
      await change(host, scoped(scope, `--zone=${zone}`, `--change-${kind}=${value}`));
      return () => undoChange(host, previous ? scoped(scope, `--zone=${previous}`, `--change-${kind}=${value}`) : scoped(scope, `--zone=${zone}`, `--remove-${kind}=${value}`));
    },
  };
}

/** A zone feature: masquerade, or a service. */
export function zoneFeature(host: HostExecutor, zone: string, feature: "masquerade" | `service=${string}`): Binding {
  const [name, value] = feature.split("=");
  const flag = (verb: string): string => (value ? `--${verb}-${name}=${value}` : `--${verb}-${name}`);
  return {
    describe: `${value ? `service ${value}` : "masquerade"} on zone ${zone}`,
    holds: (scope) => query(host, scoped(scope, `--zone=${zone}`, flag("query"))),
    async apply(scope) {
      await change(host, scoped(scope, `--zone=${zone}`, flag("add")));
      return () => undoChange(host, scoped(scope, `--zone=${zone}`, flag("remove")));
    },
  };
}

/** Whether a service is defined in a scope. */
export async function serviceDefined(host: HostExecutor, scope: Scope, service: string): Promise<boolean> {
  const r = await host.run(scoped(scope, `--info-service=${service}`), TIMEOUT);
  if (r.code === 0) return true;
  if (/INVALID_SERVICE/.test(r.stderr)) return false;
  throw new ActionFailure(`firewall-cmd --info-service=${service}: ${r.stderr.trim() || `exit ${r.code}`}`);
}

/** Creates a known service permanently (then a reload makes it known at runtime); returns the undo. */
export async function createService(host: HostExecutor, service: string): Promise<() => Promise<void>> {
  const ports = KNOWN_SERVICES[service];
  if (!ports) throw new ActionFailure(`firewalld service ${service} does not exist and netmedic has no definition for it`);
  await change(host, scoped("permanent", `--new-service=${service}`));
  const undo = async (): Promise<void> => {
    await undoChange(host, scoped("permanent", `--delete-service=${service}`));
    await change(host, ["firewall-cmd", "--reload"]);
  };
  try {
    for (const port of ports) await change(host, scoped("permanent", `--service=${service}`, `--add-port=${port}`));
  } catch (error) {
    await undo().catch(() => undefined);
    throw error;
  }
  return undo;
}
