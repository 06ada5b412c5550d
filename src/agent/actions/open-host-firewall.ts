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
import { settleAll } from "../host-concurrency.js";

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

/** The bindings an OpenHostFirewall wants: the pod network's (trusted zone, masquerade) and the service's, which needs the service defined. */
function bindings(host: HostExecutor, p: FirewallPlan): { network: Binding[]; service?: Binding } {
  return {
    network: [
      ...(p.podInterface ? [zoneMember(host, "trusted", "interface", p.podInterface)] : []),
      ...(p.podCIDR ? [zoneMember(host, "trusted", "source", p.podCIDR)] : []),
      zoneFeature(host, p.egressZone, "masquerade"),
    ],
    ...(p.service ? { service: zoneFeature(host, p.egressZone, `service=${p.service}`) } : {}),
  };
}

/** Whether the service is defined in each scope (two concurrent calls); both true without a service. */
async function serviceState(host: HostExecutor, service: string | undefined): Promise<Record<Scope, boolean>> {
  if (!service) return { runtime: true, permanent: true };
  const [runtime, permanent] = await Promise.all(SCOPES.map((scope) => serviceDefined(host, scope, service)));
  return { runtime: runtime === true, permanent: permanent === true };
}

/**
 * At most this many firewall-cmd changes at once: each is a CPU-bound Python start, so two overlap
 * on a 2-core node and more would only queue. It also bounds the changes a crash can leave made
 * but not yet journaled.
 */
export const CHANGE_CONCURRENCY = 2;

/** A task applying `binding` in `scope` when the zones show it missing; journals the change the moment it lands. */
function applyTask(binding: Binding, scope: Scope, zones: Record<Scope, Zones>, journal: ChangeJournal): () => Promise<Binding | undefined> {
  return async () => {
    if (binding.holds(zones[scope])) return undefined;
    const undo = await binding.apply(scope, zones[scope]);
    if (undo) journal.record(`${binding.describe} (${scope})`, undo);
    return undo ? binding : undefined;
  };
}

/**
 * Runs the tasks CHANGE_CONCURRENCY at a time: the scopes are independent configurations, and the
 * bindings touch different zones or fields (firewalld applies each change atomically). When one
 * fails, the others still settle before the failure is thrown, so the rollback undoes every change
 * that landed, in every scope. Returns the bindings applied, in `wanted`'s order.
 */
async function settleChanges(wanted: Binding[], tasks: Array<() => Promise<Binding | undefined>>): Promise<Binding[]> {
  const applied = new Set(await settleAll(tasks, CHANGE_CONCURRENCY));
  return wanted.filter((b) => applied.has(b));
}

/** Applies the missing bindings of `scopes` (settleChanges). */
function applyMissing(wanted: Binding[], zones: Record<Scope, Zones>, scopes: readonly Scope[], journal: ChangeJournal): Promise<Binding[]> {
  return settleChanges(wanted, scopes.flatMap((scope) => wanted.map((binding) => applyTask(binding, scope, zones, journal))));
}

/**
 * The k0s path: the service exists in neither scope. Creating it permanently needs a reload to reach
 * the runtime, and a reload rebuilds the runtime from the permanent config — so the permanent
 * bindings go first and the reload brings them to the runtime too (no runtime change per binding);
 * the read after the reload is the verification unless the runtime still misses something.
 * Creating the service and binding it are one task beside the network bindings, which need no
 * service: three firewall-cmd waves instead of four at two processes a wave.
 * The service's undo ends with a reload, so a rollback or revert restores the runtime as well.
 * Returns the notes for the detail.
 */
async function createAndReload(host: HostExecutor, journal: ChangeJournal, name: string, wanted: { network: Binding[]; service: Binding }, zones: Record<Scope, Zones>): Promise<string[]> {
  const all = [...wanted.network, wanted.service];
  const bindService = applyTask(wanted.service, "permanent", zones, journal);
  const createThenBind = async (): Promise<Binding | undefined> => {
    // Undone after every other change, whenever it landed: its undo's reload must see them undone in the permanent config.
    await createService(host, name, (undo) => journal.recordLast(`created firewalld service ${name}`, undo));
    return bindService();
  };
  const permanent = await settleChanges(all, [createThenBind, ...wanted.network.map((b) => applyTask(b, "permanent", zones, journal))]);
  await change(host, ["firewall-cmd", "--reload"]);
  const after = await readBothScopes(host);
  const runtime = await applyMissing(all, after, ["runtime"], journal);
  await verifyAll(host, all, runtime.length ? undefined : after);
  return [`created service ${name} (firewalld reloaded)`, ...all.filter((b) => permanent.includes(b) || runtime.includes(b)).map((b) => b.describe)];
}

/**
 * Any other missing service: created permanently and/or loaded by a reload first (the reload
 * discards runtime-only state, so it comes before the runtime changes), then both scopes' missing
 * bindings at once, then the verification. Returns the notes for the detail.
 */
async function serviceThenBindings(host: HostExecutor, journal: ChangeJournal, p: FirewallPlan, wanted: Binding[], zones: Record<Scope, Zones>, defined: Record<Scope, boolean>): Promise<string[]> {
  const notes: string[] = [];
  if (p.service && !defined.permanent) {
    await createService(host, p.service, (undo) => journal.record(`created firewalld service ${p.service}`, undo));
    notes.push(`created service ${p.service}`);
  }
  if (p.service && !defined.runtime) {
    await change(host, ["firewall-cmd", "--reload"]);
    zones.runtime = await listZones(host, "runtime");
    notes.push(`service ${p.service} loaded (firewalld reloaded)`);
  }
  const applied = await applyMissing(wanted, zones, SCOPES, journal);
  await verifyAll(host, wanted);
  return [...notes, ...applied.map((b) => b.describe)];
}

/** Checks every binding in both scopes, from `read` when it is fresh (made after the last change), else from a new read (two calls). */
async function verifyAll(host: HostExecutor, wanted: Binding[], read?: Record<Scope, Zones>): Promise<void> {
  const after = read ?? (await readBothScopes(host));
  for (const binding of wanted) {
    for (const scope of SCOPES) verify(binding.holds(after[scope]), `${binding.describe} (${scope}) does not hold after the change`);
  }
}

/**
 * Throws unless firewalld runs. A snapshot that saw it running (the facts round this order answers)
 * saves the `--state` process: a firewalld stopped since then fails the first read instead, with
 * firewalld's own words.
 */
async function requireRunning(context: ActionContext): Promise<void> {
  if (context.snapshot.facts.firewall?.state === "running") return;
  const state = await readFirewalldState(context.host);
  if (state === "notInstalled") throw new ActionFailure("firewalld is not installed (no firewall-cmd): nothing to open");
  if (state !== "running") throw new ActionFailure("firewalld is not running: netmedic never starts or stops it");
}

/**
 * The OpenHostFirewall action body. firewall-cmd calls: `--state` (unless the snapshot saw firewalld
 * running), then both scopes' zones and the service's definitions (read concurrently), the missing
 * changes (two at a time), and one re-read per scope to verify — 2 to 5 when everything holds already.
 */
export const openHostFirewall: ActionBody = async (action, context, journal) => {
  const { host } = context;
  await requireRunning(context);
  const p = await plan(action, context);
  const [zones, defined] = await Promise.all([readBothScopes(host), serviceState(host, p.service)]);
  const { network, service } = bindings(host, p);
  const wanted = [...network, ...(service ? [service] : [])];
  const missing = wanted.some((b) => SCOPES.some((scope) => !b.holds(zones[scope])));
  if (!missing && defined.runtime && defined.permanent) return { result: "Skipped", detail: `already open: ${wanted.map((b) => b.describe).join(", ")}` };
  const notes = p.service && service && !defined.permanent && !defined.runtime
    ? await createAndReload(host, journal, p.service, { network, service }, zones)
    : await serviceThenBindings(host, journal, p, wanted, zones, defined);
  return { result: "Succeeded", detail: `${notes.join(", ")}; runtime and permanent` };
};
