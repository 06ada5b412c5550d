/** Builds the per-node context the checks read, from the cluster Observation. */
import type { Observation } from "./observation.js";
import type { NodeContext } from "./findings.js";

/** Seconds between two RFC 3339 times (b − a); NaN when either is unparsable. */
export function secondsBetween(a: string, b: string): number {
  return (Date.parse(b) - Date.parse(a)) / 1000;
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
    konnectivityAgents: observation.konnectivityAgents.filter((agent) => agent.nodeName === name),
  };
}
