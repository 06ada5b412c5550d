/** Builds the per-node context the checks read, from the cluster Observation. */
import type { NetworkHealth } from "../api/index.js";
import type { Observation } from "./observation.js";
import type { NodeContext } from "./findings.js";

/** Seconds between two RFC 3339 times (b − a); NaN when either is unparsable. */
export function secondsBetween(a: string, b: string): number {
  return (Date.parse(b) - Date.parse(a)) / 1000;
}

/**
 * Seconds left for a node's agent to send its first report: a NetworkHealth younger than the
 * staleness limit whose agent has never reported is waiting for it, not missing it (the agent
 * starts with its node, after the controller created the object). undefined when not waiting.
 */
export function firstReportSecondsLeft(health: NetworkHealth | undefined, now: string, staleAfterSeconds: number): number | undefined {
  const created = health?.metadata.creationTimestamp;
  if (!created || health?.status?.agent?.heartbeatTime) return undefined;
  const left = staleAfterSeconds - secondsBetween(String(created), now);
  return left > 0 ? Math.ceil(left) : undefined;
}

/** The context of node `name`; `undefined` when the observation has no such Node. */
export function nodeContext(observation: Observation, name: string, staleAfterSeconds: number): NodeContext | undefined {
  const node = observation.nodes.find((candidate) => candidate.name === name);
  if (!node) return undefined;
  const health = observation.networkHealth[name];
  const heartbeat = health?.status?.agent?.heartbeatTime;
  const age = heartbeat ? secondsBetween(heartbeat, observation.now) : Number.POSITIVE_INFINITY;
  return {
    observation,
    node,
    health,
    facts: health?.status?.facts,
    probes: health?.status?.probes ?? [],
    reportFresh: age <= staleAfterSeconds,
    firstReportDue: firstReportSecondsLeft(health, observation.now, staleAfterSeconds),
    konnectivityAgents: observation.konnectivityAgents.filter((agent) => agent.nodeName === name),
  };
}
