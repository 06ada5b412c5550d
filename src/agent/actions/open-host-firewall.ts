/**
 * OpenHostFirewall: let forwarded pod traffic through a running firewalld — the pod interface
 * and/or pod CIDR in the `trusted` zone, masquerade on the zone the traffic leaves by (the uplink's
 * zone, else the default zone: masquerade on `trusted` does nothing, docs/architecture.md §8.3), and optionally
 * the distribution's service on that zone (created when missing: k0s ships no `k0s-worker`).
 * Runtime and permanent. firewalld absent or stopped is a clear Failed: it is never started,
 * stopped or bypassed.
 */
import type { PlannedAction } from "../../api/index.js";
import { readFirewalldState } from "../firewalld-facts.js";
import {
  change, createService, listZones, readBothScopes, SCOPES, serviceDefined, zoneFeature, zoneMember, type Binding, type Scope, type Zones,
} from "../firewalld-changes.js";
import { mustRun, type HostExecutor } from "../host-executor.js";
import { validCIDR, validInterface, validService, validZone } from "../validate.js";
import { ActionFailure, verify, type ActionBody, type ActionContext } from "./action.js";
import type { ChangeJournal } from "./journal.js";

/** The validated parameters of one OpenHostFirewall. */
interface FirewallPlan {
  podInterface?: string;
  podCIDR?: string;
  egressZone: string;
  service?: string;
}

async function plan(action: PlannedAction, context: ActionContext): Promise<FirewallPlan> {
  const facts = context.snapshot.facts;
  const podInterface = action.podInterface ?? facts.podNetwork?.interface;
  const podCIDR = action.podCIDR ?? facts.podNetwork?.cidr;
  if (!podInterface && !podCIDR) throw new ActionFailure("no pod interface or pod CIDR to trust (none in the order, none detected)");
  const zone = action.egressZone ?? facts.firewall?.egressZone ?? (await mustRun(context.host, ["firewall-cmd", "--get-default-zone"])).trim();
  return {
    ...(podInterface ? { podInterface: validInterface(podInterface) } : {}),
    ...(podCIDR ? { podCIDR: validCIDR(podCIDR) } : {}),
    egressZone: validZone(zone),
    ...(action.service ? { service: validService(action.service) } : {}),
  };
}

function bindings(host: HostExecutor, p: FirewallPlan): Binding[] {
  return [
    ...(p.podInterface ? [zoneMember(host, "trusted", "interface", p.podInterface)] : []),
    ...(p.podCIDR ? [zoneMember(host, "trusted", "source", p.podCIDR)] : []),
    zoneFeature(host, p.egressZone, "masquerade"),
    ...(p.service ? [zoneFeature(host, p.egressZone, `service=${p.service}`)] : []),
  ];
}

/** What ensureService did: a note for the detail, and whether it reloaded firewalld. */
interface ServiceNote {
  note?: string;
  reloaded: boolean;
}

/**
 * Makes sure the service exists in both scopes, given whether it does (read alongside the zones);
 * records its creation.
 */
async function ensureService(host: HostExecutor, journal: ChangeJournal, service: string, defined: Record<Scope, boolean>): Promise<ServiceNote> {
  let note: string | undefined;
  if (!defined.permanent) {
    journal.record(`created firewalld service ${service}`, await createService(host, service));
    note = `created service ${service}`;
  }
  if (defined.runtime) return { ...(note ? { note } : {}), reloaded: false };
  // A new permanent service reaches the runtime only through a reload; every netmedic change is
  // also permanent, so the reload keeps them.
  await change(host, ["firewall-cmd", "--reload"]);
  return { note: `${note ?? `service ${service} loaded`} (firewalld reloaded)`, reloaded: true };
}

/** Whether the service is defined in each scope (two concurrent calls); both true without a service. */
async function serviceState(host: HostExecutor, service: string | undefined): Promise<Record<Scope, boolean>> {
  if (!service) return { runtime: true, permanent: true };
  const [runtime, permanent] = await Promise.all(SCOPES.map((scope) => serviceDefined(host, scope, service)));
  return { runtime: runtime === true, permanent: permanent === true };
}

/**
 * Applies the missing bindings, runtime first, then permanent, one change per binding and scope;
 * each change is journaled the moment it is made. (Running the two scopes concurrently gains nothing
 * — each call is a CPU-bound Python start — so the order stays simple.)
 * Returns the bindings applied in some scope.
 */
async function applyMissing(wanted: Binding[], zones: Record<Scope, Zones>, journal: ChangeJournal): Promise<Binding[]> {
  const applied = new Set<Binding>();
  for (const scope of SCOPES) {
    for (const binding of wanted.filter((b) => !b.holds(zones[scope]))) {
      const undo = await binding.apply(scope, zones[scope]);
      if (!undo) continue;
      journal.record(`${binding.describe} (${scope})`, undo);
      applied.add(binding);
    }
  }
  return wanted.filter((b) => applied.has(b));
}

/** Checks every binding in both scopes from a fresh read (two calls, not one per binding). */
async function verifyAll(host: HostExecutor, wanted: Binding[]): Promise<void> {
  const after = await readBothScopes(host);
  for (const binding of wanted) {
    for (const scope of SCOPES) verify(binding.holds(after[scope]), `${binding.describe} (${scope}) does not hold after the change`);
  }
}

/**
 * The OpenHostFirewall action body. firewall-cmd calls: `--state`, then both scopes' zones and the
 * service's definitions (read concurrently), one change per missing binding and scope, and one
 * re-read per scope to verify — 3 (5 with a service) when everything holds already.
 */
export const openHostFirewall: ActionBody = async (action, context, journal) => {
  const { host } = context;
  const state = await readFirewalldState(host);
  if (state === "notInstalled") throw new ActionFailure("firewalld is not installed (no firewall-cmd): nothing to open");
  if (state !== "running") throw new ActionFailure("firewalld is not running: netmedic never starts or stops it");
  const p = await plan(action, context);
  const [zones, defined] = await Promise.all([readBothScopes(host), serviceState(host, p.service)]);
  const service = p.service ? await ensureService(host, journal, p.service, defined) : { reloaded: false };
  // A reload rebuilt the runtime from the permanent config: what was read before is stale.
  if (service.reloaded) zones.runtime = await listZones(host, "runtime");
  const wanted = bindings(host, p);
  const missing = wanted.some((b) => SCOPES.some((scope) => !b.holds(zones[scope])));
  if (!missing && !service.note) return { result: "Skipped", detail: `already open: ${wanted.map((b) => b.describe).join(", ")}` };
  const applied = await applyMissing(wanted, zones, journal);
  await verifyAll(host, wanted);
  const notes = [...(service.note ? [service.note] : []), ...applied.map((b) => b.describe)];
  return { result: "Succeeded", detail: `${notes.join(", ")}; runtime and permanent` };
};
