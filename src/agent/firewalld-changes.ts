/**
 * firewalld changes as bindings that are checked against a zone listing and applied and undone in
 * either scope (runtime or --permanent). netmedic makes every change in both scopes: `--reload`
 * discards runtime-only changes, and permanent-only ones do nothing until a reload (docs/architecture.md §8.3).
 * It never stops firewalld, never uses firewall-offline-cmd, never --runtime-to-permanent.
 *
 * Every firewall-cmd call is a fresh Python process (0.2–1.2 s), so a scope's zones are read with
 * ONE `--list-all-zones` (membership, masquerade and services of every zone) instead of a query per
 * binding; the previous zone of a moved interface/source comes from the same listing.
 */
import type { HostExecutor } from "./host-executor.js";
import { changeOutcome, failureMessage, parseZoneListings, zoneOfInterface, zoneOfSource, type ZoneListing } from "./firewalld-parse.js";
import { ActionFailure } from "./actions/action.js";
import type { UndoStep } from "./actions/undo-steps.js";

/** runtime or permanent configuration. */
export type Scope = "runtime" | "permanent";
/** Both scopes, runtime first. */
export const SCOPES: readonly Scope[] = ["runtime", "permanent"];

/** Every zone of one scope, by name. */
export type Zones = Map<string, ZoneListing>;

const TIMEOUT = { timeoutMs: 30_000 };
const scoped = (scope: Scope, ...args: string[]): string[] => ["firewall-cmd", ...(scope === "permanent" ? ["--permanent"] : []), ...args];

/** Service definitions netmedic creates when the distribution does not ship them (docs/architecture.md §8.1). */
const KNOWN_SERVICES: Record<string, readonly string[]> = {
  "k0s-worker": ["179/tcp", "4789/udp", "10250/tcp"],
  "k0s-controller": ["2380/tcp", "6443/tcp", "8132/tcp", "9443/tcp"],
};

/** Runs a firewall-cmd change; throws ActionFailure with firewalld's own error text. */
export async function change(host: HostExecutor, argv: string[]): Promise<"applied" | "already"> {
  const r = await host.run(argv, TIMEOUT);
  const outcome = changeOutcome(r.code, r.stderr);
  if (outcome === "failed") throw new ActionFailure(`${argv.slice(1).join(" ")}: ${failureMessage(r.code, r.stderr)}`);
  return outcome;
}

/** An undo step that tolerates the change being gone already. */
function undoChange(argv: string[]): UndoStep {
  return { kind: "command", argv, timeoutMs: TIMEOUT.timeoutMs, tolerate: "firewalld" };
}

/** Every zone of a scope from one `--list-all-zones`; throws ActionFailure when it cannot be read. */
export async function listZones(host: HostExecutor, scope: Scope): Promise<Zones> {
  const argv = scoped(scope, "--list-all-zones");
  const r = await host.run(argv, TIMEOUT);
  const zones = r.code === 0 ? parseZoneListings(r.stdout) : new Map<string, ZoneListing>();
  // Every firewalld has `trusted`: a listing without it is not one we understand.
  if (!zones.has("trusted")) throw new ActionFailure(`cannot read the zones: ${argv.slice(1).join(" ")}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return zones;
}

/** Both scopes' zones, read concurrently (two processes, one wait). */
export async function readBothScopes(host: HostExecutor): Promise<Record<Scope, Zones>> {
  const [runtime, permanent] = await Promise.all(SCOPES.map((scope) => listZones(host, scope)));
  return { runtime: runtime as Zones, permanent: permanent as Zones };
}

/** One desired firewalld setting. */
export interface Binding {
  describe: string;
  /** Whether it holds in a scope's zones (pure: no host call). */
  holds(zones: Zones): boolean;
  /**
   * Applies it in a scope whose zones (read just before) show it missing; resolves to the undo, or
   * undefined when firewalld says it is already in place (then there is nothing of ours to undo).
   */
  apply(scope: Scope, zones: Zones): Promise<UndoStep | undefined>;
}

/** An interface or source bound to a zone (moved from its previous zone, which the undo restores). */
export function zoneMember(host: HostExecutor, zone: string, kind: "interface" | "source", value: string): Binding {
  const members = (z: ZoneListing | undefined): string[] => (kind === "interface" ? z?.interfaces : z?.sources) ?? [];
  return {
    describe: `${kind} ${value} in zone ${zone}`,
    holds: (zones) => members(zones.get(zone)).includes(value),
    async apply(scope, zones) {
      const previous = kind === "interface" ? zoneOfInterface(zones, value) : zoneOfSource(zones, value);
      if ((await change(host, scoped(scope, `--zone=${zone}`, `--change-${kind}=${value}`))) === "already") return undefined;
      return undoChange(previous ? scoped(scope, `--zone=${previous}`, `--change-${kind}=${value}`) : scoped(scope, `--zone=${zone}`, `--remove-${kind}=${value}`));
    },
  };
}

/** A zone feature: masquerade, or a service. */
export function zoneFeature(host: HostExecutor, zone: string, feature: "masquerade" | `service=${string}`): Binding {
  const [name, value] = feature.split("=");
  const flag = (verb: string): string => (value ? `--${verb}-${name}=${value}` : `--${verb}-${name}`);
  return {
    describe: `${value ? `service ${value}` : "masquerade"} on zone ${zone}`,
    holds: (zones) => (value ? (zones.get(zone)?.services.includes(value) ?? false) : (zones.get(zone)?.masquerade ?? false)),
    async apply(scope) {
      if ((await change(host, scoped(scope, `--zone=${zone}`, flag("add")))) === "already") return undefined;
      return undoChange(scoped(scope, `--zone=${zone}`, flag("remove")));
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

/**
 * Creates a known service permanently (then a reload makes it known at runtime). `journal` receives
 * its undo (delete it, reload) the moment the service exists, before its ports are added: all of
 * them go in one call, a failed port shows as a warning (see changeOutcome) and throws, and the
 * caller's rollback deletes the whole service — so a partial failure, or a crash between the two
 * calls, still leaves nothing behind.
 */
export async function createService(host: HostExecutor, service: string, journal: (undo: UndoStep[]) => void): Promise<void> {
  const ports = KNOWN_SERVICES[service];
  if (!ports) throw new ActionFailure(`firewalld service ${service} does not exist and netmedic has no definition for it`);
  await change(host, scoped("permanent", `--new-service=${service}`));
  journal([undoChange(scoped("permanent", `--delete-service=${service}`)), { kind: "command", argv: ["firewall-cmd", "--reload"], timeoutMs: TIMEOUT.timeoutMs }]);
  await change(host, scoped("permanent", `--service=${service}`, ...ports.map((port) => `--add-port=${port}`)));
}
