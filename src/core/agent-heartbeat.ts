/**
 * The agent's liveness from its two signals: the last report (status.agent.heartbeatTime, written
 * with every report) and the renewal of its heartbeat Lease (netmedic-node-lease/<node>), which an
 * agent renews every heartbeat while it writes its NetworkHealth only when the report changes. A
 * renewal says the agent is alive and its last report still holds, so the later of the two is the
 * agent's last word. An agent of an older release writes no Lease and heartbeats through its
 * report, which still counts the same.
 */
import { AGENT_LEASE_NAMESPACE, type NetworkHealth } from "../api/index.js";

/** The agent's last sign of life and which signal gave it. */
export interface AgentHeartbeat {
  /** The later of the two signals (RFC 3339). */
  time: string;
  /** "lease" when the Lease's renewal is the later one, "report" otherwise. */
  source: "report" | "lease";
  /** status.agent.heartbeatTime: the last report. */
  reportTime: string;
}

/**
 * The later of the node's last report and its Lease's renewTime; undefined while the agent has
 * never reported — a Lease without a report is an agent alive but not yet heard, which the
 * first-report wait judges, and a renewal vouches for a report only once there is one. An
 * unparsable renewTime is ignored (the report alone counts).
 */
export function lastAgentHeartbeat(health: NetworkHealth | undefined, leaseRenewTime: string | undefined): AgentHeartbeat | undefined {
  const reportTime = health?.status?.agent?.heartbeatTime;
  if (!reportTime) return undefined;
  if (leaseRenewTime && Date.parse(leaseRenewTime) > Date.parse(reportTime)) return { time: leaseRenewTime, source: "lease", reportTime };
  return { time: reportTime, source: "report", reportTime };
}

/** "netmedic-node-lease/<node>": the Lease as a person finds it with kubectl. */
export function agentLeaseName(node: string): string {
  return `${AGENT_LEASE_NAMESPACE}/${node}`;
}
