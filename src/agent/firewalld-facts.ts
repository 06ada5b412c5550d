/**
 * firewalld as pod traffic meets it: is it running, which zone the pod interface/CIDR is in (none
 * → the default zone applies), whether that zone accepts pod traffic, and whether masquerade is on
 * the zone the traffic leaves by (the uplink's zone, else the default zone; docs/architecture.md §8.3).
 */
import type { FirewallFacts, PodNetworkFacts } from "../api/index.js";
import { HostCommandError, mustRun, type HostExecutor } from "./host-executor.js";
import { parseFirewalldState, parseZoneListings, zoneAccepts, zoneOfInterface, zoneOfSource, zoneTarget, type ZoneListing } from "./firewalld-parse.js";

/** What the agent knows about firewalld at one moment. */
export interface FirewalldView {
  facts: FirewallFacts;
  /** Runtime zones (present only when firewalld runs). */
  zones?: Map<string, ZoneListing>;
}

/** firewalld's state; `undefined` state means firewall-cmd answered something unexpected. */
export async function readFirewalldState(host: HostExecutor): Promise<FirewallFacts["state"]> {
  const result = await host.run(["firewall-cmd", "--state"], { timeoutMs: 15_000 });
  const state = parseFirewalldState(result.code, result.stdout, result.stderr);
  if (!state) throw new HostCommandError(["firewall-cmd", "--state"], result);
  return state;
}

/** Derives FirewallFacts from the runtime zones (pure). */
export function firewallFactsFromZones(zones: Map<string, ZoneListing>, defaultZone: string, pod: PodNetworkFacts, uplink?: string): FirewallFacts {
  const podInterfaceZone = pod.interface ? zoneOfInterface(zones, pod.interface) : "";
  const sourceZone = pod.cidr ? zoneOfSource(zones, pod.cidr) : "";
  const egressZone = (uplink ? zoneOfInterface(zones, uplink) : "") || defaultZone;
  const appliesZone = podInterfaceZone || sourceZone || defaultZone;
  const trusted = zones.get("trusted");
  return {
    manager: "firewalld",
    state: "running",
    defaultZone,
    podInterfaceZone,
    egressZone,
    egressMasquerade: zones.get(egressZone)?.masquerade ?? false,
    podTrafficTrusted: zoneAccepts(zones.get(podInterfaceZone)) || zoneAccepts(zones.get(sourceZone)),
    trustedSources: trusted?.sources ?? [],
    services: zones.get(appliesZone)?.services ?? [],
    forwardPolicy: zoneTarget(zones.get(appliesZone)) ?? "default",
  };
}

/** The two reads of a running firewalld: its default zone and every runtime zone. */
function readsOf(host: HostExecutor): Array<Promise<string>> {
  return [
    mustRun(host, ["firewall-cmd", "--get-default-zone"], { timeoutMs: 15_000 }),
    mustRun(host, ["firewall-cmd", "--list-all-zones"], { timeoutMs: 15_000 }),
  ];
}

/** The view of a firewalld that does not run (or is not installed). */
function notRunningView(state: FirewallFacts["state"]): FirewalldView {
  return { facts: state === "notInstalled" ? { manager: "none", state } : { manager: "firewalld", state } };
}

/** The view from two settled reads; throws the first read's failure. */
function viewOf(reads: Array<PromiseSettledResult<string>>, pod: PodNetworkFacts, uplink?: string): FirewalldView {
  const [defaultZone, listing] = reads;
  if (defaultZone?.status !== "fulfilled") throw defaultZone?.reason;
  if (listing?.status !== "fulfilled") throw listing?.reason;
  const zones = parseZoneListings(listing.value);
  return { facts: firewallFactsFromZones(zones, defaultZone.value.trim(), pod, uplink), zones };
}

/**
 * Reads firewalld's facts. With `together` (firewalld ran when last read) only `--get-default-zone`
 * and `--list-all-zones` run, at once — each firewall-cmd is a Python start, the facts round's
 * longest path, and both succeed only when firewalld runs — and `--state` runs only after a read
 * failed, to tell a stopped or absent firewalld (facts) from a failing one (the read's error).
 * Without it the state comes first, so a stopped or absent firewalld costs one process, not three.
 */
export async function readFirewalld(host: HostExecutor, pod: PodNetworkFacts, uplink?: string, together = false): Promise<FirewalldView> {
  if (together) {
    const reads = await Promise.allSettled(readsOf(host));
    if (reads.every((r) => r.status === "fulfilled")) return viewOf(reads, pod, uplink);
    const state = await readFirewalldState(host);
    return state === "running" ? viewOf(reads, pod, uplink) : notRunningView(state);
  }
  const state = await readFirewalldState(host);
  if (state !== "running") return notRunningView(state);
  return viewOf(await Promise.allSettled(readsOf(host)), pod, uplink);
}
