/**
 * The diagnosis vocabulary: the outcome of each check, the per-node diagnosis and the context
 * every check reads. A check never throws; missing evidence yields status Unknown.
 */
import type { ConditionType, NetworkHealth, HostFacts, PlannedAction, ProbeResult, ProbeTargets } from "../api/index.js";
import type { ConditionStatus, KonnectivityAgentView, NodeView, Observation } from "./observation.js";
import type { AgentHeartbeat } from "./agent-heartbeat.js";

/** One check's verdict, later written as the condition of the same type. */
export interface CheckResult {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  /** Observations the verdict rests on, quoted as seen. */
  evidence: string[];
}

/** Check types computed from evidence (Ready summarises them, Remediating comes from the plan). */
export type EvidenceCheckType = Exclude<ConditionType, "Ready" | "Remediating">;

/** How old an agent report may be, and why. */
export interface Staleness {
  staleAfterSeconds: number;
  heartbeatSeconds?: number;
}

/** Everything the checks know about one node. */
export interface NodeContext {
  observation: Observation;
  node: NodeView;
  health?: NetworkHealth;
  /** Agent facts; undefined when the agent never reported. */
  facts?: HostFacts;
  probes: ProbeResult[];
  /** The agent's last sign of life: the later of its last report and its Lease's renewal (undefined: never reported). */
  heartbeat?: AgentHeartbeat;
  /** Whether the agent's last heartbeat (`heartbeat`) is younger than the staleness limit: its last report still holds. */
  reportFresh: boolean;
  /** The staleness limit, and the agents' heartbeat when known (for the AgentReporting message). */
  staleness: Staleness;
  /** Seconds the agent still has for its first report (NetworkHealth younger than the staleness limit, no report yet); undefined otherwise. */
  firstReportDue?: number;
  /** konnectivity-agent pods scheduled on this node. */
  konnectivityAgents: KonnectivityAgentView[];
}

/** The diagnosis of one node: checks, the root cause, evidence and the fixes the evidence supports. */
export interface NodeDiagnosis {
  node: string;
  checks: Record<EvidenceCheckType, CheckResult>;
  ready: CheckResult;
  /** One line a person reads in ten seconds. */
  summary: string;
  /** The reason judged to be the root cause; "" when healthy. */
  rootCause: string;
  evidence: string[];
  /** Objects this node's fault affects, e.g. apiservice/v1beta1.metrics.k8s.io. */
  affects: string[];
  /** Node-side fixes the evidence supports, in execution order (before policy). */
  fixes: PlannedAction[];
  /** Why the evidence supports no node-side fix, when something is wrong but nothing is planned. */
  noFixReason?: string;
  /** What the node's agent should probe. */
  targets: ProbeTargets;
}

/** A check verdict with no evidence. */
export function unknownCheck(type: ConditionType, message: string): CheckResult {
  return { type, status: "Unknown", reason: "Unknown", message, evidence: [] };
}

/**
 * The newest probe of the given origin and purpose by its time (the later one in `probes` on a
 * tie), if any. Times are compared as instants, not as text: "…:00.5Z" is later than "…:00Z"
 * although it sorts first, and localeCompare would load ICU's collator (~3 MB RSS) for this.
 */
export function latestProbe(probes: ProbeResult[], from: "Host" | "Pod", purpose: ProbeResult["purpose"]): ProbeResult | undefined {
  let latest: ProbeResult | undefined;
  for (const probe of probes) {
    if (probe.from !== from || probe.purpose !== purpose) continue;
    if (!latest || Date.parse(probe.time) >= Date.parse(latest.time)) latest = probe;
  }
  return latest;
}

/**
 * Renders a probe as evidence text. Latency and time are left out on purpose: evidence must stay
 * identical while the outcome does, or every probe round would rewrite the status.
 */
export function probeEvidence(probe: ProbeResult): string {
  const detail = probe.detail ? ` (${probe.detail})` : "";
  return `probe from ${probe.from} to ${probe.target} (${probe.purpose}): ${probe.result}${detail}`;
}
