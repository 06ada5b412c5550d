/**
 * One probe round: from the host network to the konnectivity servers and live apiservers the
 * controller lists in the NetworkHealth's probe-targets annotation; the same targets from the pod
 * network by asking the local probe pod; and an anonymous TLS GET /version of each configured
 * k3s/RKE2 server (an etcd-only server answers `apiserver disabled`).
 */
import type { ProbeResult, ProbeTargets } from "../api/index.js";
import { PROBE_UNAVAILABLE } from "../dial/classify.js";
import type { DialJob } from "../dial/dial.js";
import { isDialTarget } from "../dial/target.js";
import type { Dialer } from "./host-dialer.js";

/** At most this many targets per purpose (the status keeps ≤ MAX_STATUS_PROBES, 32, probes). */
const MAX_TARGETS_PER_PURPOSE = 4;

/** What one planned probe measures. */
interface ProbeSlot {
  from: ProbeResult["from"];
  purpose: ProbeResult["purpose"];
  target: string;
  job?: DialJob;
  /** Result when no job can run (no probe endpoint). */
  fixed?: { result: string; detail: string };
}

/** `https://host:port[/]` → `host:port` (bracketed IPv6 kept), or undefined. */
export function serverTarget(url: string): string | undefined {
  const match = /^https:\/\/([^/@]+?)\/?$/.exec(url);
  return match?.[1] && isDialTarget(match[1]) ? match[1] : undefined;
}

/** Plans the probes of one round (pure). Invalid targets are dropped. */
export function planProbes(targets: ProbeTargets, configured: readonly string[], probeEndpoint: string | undefined, timeoutMs: number): ProbeSlot[] {
  const valid = (list: readonly string[] | undefined): string[] => [...new Set((list ?? []).filter(isDialTarget))].slice(0, MAX_TARGETS_PER_PURPOSE);
  const groups: Array<[ProbeResult["purpose"], string[]]> = [["Konnectivity", valid(targets.konnectivity)], ["APIServer", valid(targets.apiServers)]];
  const endpoint = probeEndpoint && isDialTarget(probeEndpoint) ? probeEndpoint : undefined;
  const slots: ProbeSlot[] = [];
  for (const [purpose, list] of groups) {
    for (const target of list) slots.push({ from: "Host", purpose, target, job: { kind: "tcp", target, timeoutMs } });
  }
  for (const [purpose, list] of groups) {
    for (const target of list) {
      slots.push(endpoint
        ? { from: "Pod", purpose, target, job: { kind: "probe", probe: endpoint, target, timeoutMs } }
        : { from: "Pod", purpose, target, fixed: { result: PROBE_UNAVAILABLE, detail: "no probe pod endpoint known (probe-targets annotation)" } });
    }
  }
  const servers = valid(configured.map(serverTarget).filter((t): t is string => t !== undefined));
  for (const target of servers) slots.push({ from: "Host", purpose: "ConfiguredServer", target, job: { kind: "version", target, timeoutMs } });
  return slots;
}

/** Runs a round through the dialer and turns it into ProbeResults stamped with `time`. */
export async function runProbes(dialer: Dialer, slots: ProbeSlot[], time: string): Promise<ProbeResult[]> {
  const jobs = slots.flatMap((s) => (s.job ? [s.job] : []));
  const outcomes = await dialer.dial(jobs);
  let next = 0;
  return slots.map((slot): ProbeResult => {
    const outcome = slot.job ? outcomes[next++] : undefined;
    const result = outcome?.result ?? slot.fixed?.result ?? "EUNKNOWN";
    const detail = outcome?.detail ?? slot.fixed?.detail;
    return {
      from: slot.from, target: slot.target, purpose: slot.purpose, result,
      ...(outcome ? { latencyMs: outcome.latencyMs } : {}),
      time,
      ...(detail ? { detail } : {}),
    };
  });
}
