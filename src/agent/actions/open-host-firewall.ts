/**
 * OpenHostFirewall: let forwarded pod traffic through a running firewalld — the pod interface
 * and/or pod CIDR in the `trusted` zone, masquerade on the zone the traffic leaves by (the uplink's
 * zone, else the default zone: masquerade on `trusted` does nothing, FACTS.md §3), and optionally
 * the distribution's service on that zone (created when missing: k0s ships no `k0s-worker`).
 * Runtime and permanent. firewalld absent or stopped is a clear Failed: it is never started,
 * stopped or bypassed.
 */
import type { PlannedAction } from "../../api/index.js";
import { readFirewalldState } from "../firewalld-facts.js";
import { change, createService, SCOPES, serviceDefined, zoneFeature, zoneMember, type Binding } from "../firewalld-changes.js";
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

/** Makes sure the service exists in both scopes; records its creation. Returns a note for the detail. */
async function ensureService(host: HostExecutor, journal: ChangeJournal, service: string): Promise<string | undefined> {
  let note: string | undefined;
  if (!(await serviceDefined(host, "permanent", service))) {
    journal.record(`created firewalld service ${service}`, await createService(host, service));
    note = `created service ${service}`;
  }
  if (!(await serviceDefined(host, "runtime", service))) {
    // A new permanent service reaches the runtime only through a reload; every netmedic change is
    // also permanent, so the reload keeps them.
    await change(host, ["firewall-cmd", "--reload"]);
    note = `${note ?? `service ${service} loaded`} (firewalld reloaded)`;
  }
  return note;
}

/** The OpenHostFirewall action body. */
export const openHostFirewall: ActionBody = async (action, context, journal) => {
  const { host } = context;
  const state = await readFirewalldState(host);
  if (state === "notInstalled") throw new ActionFailure("firewalld is not installed (no firewall-cmd): nothing to open");
  if (state !== "running") throw new ActionFailure("firewalld is not running: netmedic never starts or stops it");
  const p = await plan(action, context);
  const notes: string[] = [];
  if (p.service) notes.push(...[await ensureService(host, journal, p.service)].filter((n): n is string => n !== undefined));
  const wanted = bindings(host, p);
  const applied: string[] = [];
  for (const binding of wanted) {
    for (const scope of SCOPES) {
      if (await binding.holds(scope)) continue;
      journal.record(`${binding.describe} (${scope})`, await binding.apply(scope));
      if (!applied.includes(binding.describe)) applied.push(binding.describe);
    }
  }
  if (applied.length === 0 && notes.length === 0) return { result: "Skipped", detail: `already open: ${wanted.map((b) => b.describe).join(", ")}` };
  for (const binding of wanted) {
    for (const scope of SCOPES) verify(await binding.holds(scope), `${binding.describe} (${scope}) does not hold after the change`);
  }
  return { result: "Succeeded", detail: `${[...notes, ...applied].join(", ")}; runtime and permanent` };
};
