/**
 * KonnectivityReachable: can this node's pod network reach the konnectivity server? Evidence in
 * order of strength: the agent's pod-network probe, the konnectivity-agent's own log, and last the
 * aggregator's "No agent available". A failing host-network probe means the fault is not the node's.
 */
import type { NetworkHealth } from "../api/index.js";
import type { APIServiceView } from "./observation.js";
import type { CheckResult, NodeContext } from "./findings.js";
import { latestProbe, probeEvidence, unknownCheck } from "./findings.js";
import { firstReportSecondsLeft, secondsBetween } from "./node-context.js";
import { lastAgentHeartbeat } from "./agent-heartbeat.js";
import { classifyAPIServiceFailure, latestKonnectivityEvidence, logMessageOf, type DialOutcome } from "./evidence.js";

const REASON_BY_OUTCOME: Record<DialOutcome, string> = {
  ok: "Connected",
  EHOSTUNREACH: "NoRouteToHost",
  ETIMEDOUT: "Timeout",
  ECONNREFUSED: "Refused",
  ENETUNREACH: "NoRouteToHost",
  other: "Unknown",
};

function verdict(outcome: DialOutcome, how: string, evidence: string[]): CheckResult {
  const reason = REASON_BY_OUTCOME[outcome];
  if (outcome === "ok") return { type: "KonnectivityReachable", status: "True", reason, message: `connected (${how})`, evidence };
  const status = reason === "Unknown" ? "Unknown" : "False";
  return { type: "KonnectivityReachable", status, reason, message: `pod network cannot reach the konnectivity server: ${outcome} (${how})`, evidence };
}

/** APIServices whose failure is konnectivity's "No agent available". */
function noAgentAPIServices(apiServices: APIServiceView[]): APIServiceView[] {
  return apiServices.filter((s) => s.available === "False" && classifyAPIServiceFailure(s.reason, s.message) === "NoAgentAvailable");
}

/**
 * Whether the konnectivity-agent's log is worth reading for a node: not while the agent's own
 * pod-network probe of the konnectivity server is fresh and conclusive, because that probe decides
 * the verdict — a steady cluster then costs no pods/log request per resync (the apiserver proxies
 * each one to a kubelet) — and not while a new node's agent is still due to send its first report
 * (the verdict waits for it anyway; an install or scale-up of thousands of nodes would otherwise
 * read thousands of logs nobody needs). Read again as soon as the probe goes missing or stale —
 * stale by the later of its own time and the node's Lease renewal (`leaseRenewTime`) after the
 * report: an agent writes its report only when it changes, so a steady probe keeps its old time.
 */
export function konnectivityLogNeeded(health: NetworkHealth | undefined, now: string, staleAfterSeconds: number, leaseRenewTime?: string): boolean {
  if (firstReportSecondsLeft(health, now, staleAfterSeconds) !== undefined) return false;
  const podProbe = latestProbe(health?.status?.probes ?? [], "Pod", "Konnectivity");
  if (!podProbe || podProbe.result === "EPROBEUNAVAILABLE") return true;
  // A Lease renewed after the report says the report, this probe's result included, still holds then.
  const heartbeat = lastAgentHeartbeat(health, leaseRenewTime);
  const vouched = heartbeat?.source === "lease" && Date.parse(heartbeat.time) > Date.parse(podProbe.time) ? heartbeat.time : podProbe.time;
  return secondsBetween(vouched, now) > staleAfterSeconds;
}

/** The KonnectivityReachable verdict for one node. */
export function checkKonnectivity(context: NodeContext): CheckResult {
  if (!context.observation.konnectivityDeployed) {
    return { type: "KonnectivityReachable", status: "True", reason: "NotDeployed", message: "konnectivity is not used in this cluster", evidence: [] };
  }
  if (context.konnectivityAgents.length === 0) {
    return { type: "KonnectivityReachable", status: "True", reason: "NotDeployed", message: "no konnectivity-agent pod on this node", evidence: [] };
  }
  const hostProbe = latestProbe(context.probes, "Host", "Konnectivity");
  const podProbe = latestProbe(context.probes, "Pod", "Konnectivity");
  const logs = latestKonnectivityEvidence(context.konnectivityAgents.flatMap((agent) => agent.logLines));
  const evidence = [hostProbe, podProbe].flatMap((p) => (p ? [probeEvidence(p)] : []));
  if (logs) evidence.push(`konnectivity-agent log: ${logMessageOf(logs.line)}`);
  if (hostProbe && hostProbe.result !== "ok" && podProbe?.result !== "ok") {
    const message = `the host network cannot reach the konnectivity server either (${hostProbe.result}): not a node-side fault`;
    return { type: "KonnectivityReachable", status: "False", reason: "ControlPlaneUnreachable", message, evidence };
  }
  const podOutcome = podProbe && podProbe.result !== "EPROBEUNAVAILABLE" ? podProbe.result : undefined;
  if (podOutcome) return verdict(podOutcome === "ok" ? "ok" : outcomeOf(podOutcome), "pod-network probe", evidence);
  if (logs) return verdict(logs.outcome, "konnectivity-agent log", evidence);
  const noAgent = noAgentAPIServices(context.observation.apiServices);
  if (noAgent.length > 0) {
    const quoted = noAgent.map((s) => `apiservice/${s.name}: ${s.reason ?? ""}: ${s.message ?? ""}`);
    const message = "the aggregator reports No agent available; no pod-network probe or agent log from this node yet";
    return { type: "KonnectivityReachable", status: "False", reason: "NoAgentAvailable", message, evidence: [...evidence, ...quoted] };
  }
  return unknownCheck("KonnectivityReachable", "no probe or konnectivity-agent log evidence yet");
}

function outcomeOf(result: string): DialOutcome {
  return (["EHOSTUNREACH", "ETIMEDOUT", "ECONNREFUSED", "ENETUNREACH"] as const).find((r) => r === result) ?? "other";
}
