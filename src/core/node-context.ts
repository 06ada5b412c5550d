/** Builds the per-node context the checks read, from the cluster Observation. */
import type { NetworkHealth } from "../api/index.js";
import type { Observation } from "./observation.js";
import type { NodeContext } from "./findings.js";
import { nodeNamed } from "./node-lookup.js";
import { lastAgentHeartbeat } from "./agent-heartbeat.js";

/** Seconds between two RFC 3339 times (b − a); NaN when either is unparsable. */
export function secondsBetween(a: string, b: string): number {
  return (Date.parse(b) - Date.parse(a)) / 1000;
}

/**
 * Seconds left for a node's agent to send its first report: a NetworkHealth younger than the
 * staleness limit whose agent has never reported is waiting for it, not missing it (the agent
 * starts with its node, after the controller created the object). undefined when not waiting.
 * An object stamped after `now` (the apiserver's clock, or a pass that read its clock before
 * creating it) is as young as can be, never younger.
 */
export function firstReportSecondsLeft(health: NetworkHealth | undefined, now: string, staleAfterSeconds: number): number | undefined {
  const created = health?.metadata.creationTimestamp;
  if (!created || health?.status?.agent?.heartbeatTime) return undefined;
  const left = staleAfterSeconds - Math.max(0, secondsBetween(String(created), now));
  return left > 0 ? Math.ceil(left) : undefined;
}

/**
 * How often a node whose agent is silent (stale, or never reported past the first-report wait) is
 * looked at again: its verdict then rests on evidence that changes without a watch event — the
 * konnectivity-agent's log — which the resync alone would see only every resyncSeconds.
 */
const SILENT_AGENT_RELOOK_SECONDS = 300;

/**
 * Seconds until the node must be looked at again for its agent's sake, though nothing is written
 * meanwhile: while the agent's last heartbeat (the later of its last report and its Lease's
 * `leaseRenewTime`, lastAgentHeartbeat) is fresh, until it goes stale (plus one, so that pass is
 * past the limit) — going stale is a transition no watch event announces, and a Lease renewal of a
 * Reporting node wakes no reconcile, so this look is what reads the newest renewal; while the agent
 * is silent, SILENT_AGENT_RELOOK_SECONDS. undefined while the first report is awaited
 * (firstReportSecondsLeft times that). These per-node looks are what let the resync be long.
 */
export function agentRelookSeconds(health: NetworkHealth | undefined, now: string, staleAfterSeconds: number, leaseRenewTime?: string): number | undefined {
  const heartbeat = lastAgentHeartbeat(health, leaseRenewTime)?.time;
  if (!heartbeat) return firstReportSecondsLeft(health, now, staleAfterSeconds) === undefined ? SILENT_AGENT_RELOOK_SECONDS : undefined;
  const left = staleAfterSeconds - secondsBetween(heartbeat, now);
  return left >= 0 ? Math.ceil(left) + 1 : SILENT_AGENT_RELOOK_SECONDS;
}

/**
 * How long a new NetworkHealth goes without a controller status while its agent has not reported.
 * An agent that is already running (an install on an existing cluster) reports within one facts
 * interval (10 s) of seeing the object, and a new node's agent pod usually starts within this
 * bound: its report then arrives before the controller has said anything, and the first status the
 * controller writes is the verdict — one status write per new node instead of "waiting" + verdict.
 * Past the bound the node shows AwaitingFirstReport, so a node whose agent never reports is visible.
 */
const FIRST_STATUS_HOLD_SECONDS = 30;

/**
 * Seconds the controller still holds a new NetworkHealth's first status: it has written none
 * (no conditions), the agent has not reported, and the object is younger than
 * min(FIRST_STATUS_HOLD_SECONDS, staleAfterSeconds). undefined when not holding.
 */
export function firstStatusHoldSecondsLeft(health: NetworkHealth | undefined, now: string, staleAfterSeconds: number): number | undefined {
  if (health?.status?.conditions?.length) return undefined;
  return firstReportSecondsLeft(health, now, Math.min(FIRST_STATUS_HOLD_SECONDS, staleAfterSeconds));
}

/** The context of node `name`; `undefined` when the observation has no such Node. */
export function nodeContext(observation: Observation, name: string, staleAfterSeconds: number, heartbeatSeconds?: number): NodeContext | undefined {
  const node = nodeNamed(observation, name);
  if (!node) return undefined;
  const health = observation.networkHealth[name];
  const heartbeat = lastAgentHeartbeat(health, observation.agentLeaseRenewTimes?.[name]);
  const age = heartbeat ? secondsBetween(heartbeat.time, observation.now) : Number.POSITIVE_INFINITY;
  return {
    observation,
    node,
    health,
    facts: health?.status?.facts,
    probes: health?.status?.probes ?? [],
    heartbeat,
    reportFresh: age <= staleAfterSeconds,
    staleness: { staleAfterSeconds, heartbeatSeconds },
    firstReportDue: firstReportSecondsLeft(health, observation.now, staleAfterSeconds),
    konnectivityAgents: observation.konnectivityAgents.filter((agent) => agent.nodeName === name),
  };
}
