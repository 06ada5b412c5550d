// The agent's liveness is the later of its last report (status.agent.heartbeatTime) and its heartbeat
// Lease's renewTime: verdict, message, the staleness requeue, the log read and the fixes all follow it.
import { describe, expect, it } from "@jest/globals";
import type { NetworkHealth, NetworkHealthStatus } from "../../../src/api/index.js";
import {
  DEFAULT_POLICY, diagnoseNode, konnectivityLogNeeded, lastAgentHeartbeat, reconcileNode, type Observation,
} from "../../../src/core/index.js";
import { NOW, health, healthyFacts, k0sBrokenFacts, node, observe, probe } from "../../fixtures/cluster.js";

const W = "worker-1";
const STALE_AFTER = 750;
const HEARTBEAT = 300;
const RULE = "stale after 750 s without a report or a renewal of its heartbeat Lease (2.5 × the agents' 300 s heartbeat)";

/** W's NetworkHealth as its agent last reported it at `reportTime` (no report at all when undefined), created `createdAt`. */
function reportedAt(reportTime: string | undefined, facts = healthyFacts(), createdAt = "2025-05-05T15:00:00Z"): NetworkHealth {
  const status: NetworkHealthStatus = { facts, probes: [{ ...probe("Pod", "Konnectivity", "ok"), time: reportTime ?? NOW }] };
  const object = health(W, reportTime ? { ...status, agent: { heartbeatTime: reportTime, version: "test" } } : { agent: undefined });
  return { ...object, metadata: { ...object.metadata, creationTimestamp: createdAt } };
}

/** The Observation of W with its NetworkHealth and, when given, its Lease's renewTime. */
function observed(object: NetworkHealth, leaseRenewTime: string | undefined): Observation {
  const observation = observe({ nodes: [node(W, "192.168.1.42")], healths: [object] });
  return leaseRenewTime === undefined ? observation : { ...observation, agentLeaseRenewTimes: { [W]: leaseRenewTime } };
}

describe("AgentReporting and its look-again follow the later of the report and the Lease", () => {
  it.each([
    { case: "a Lease renewed after a report older than the limit keeps the agent Reporting", report: "2025-05-05T16:30:00Z", lease: "2025-05-05T16:48:00.000000Z",
      verdict: `True/Reporting: the netmedic agent reports; ${RULE}`, requeue: 631 },
    { case: "a Lease older than a fresh report changes nothing", report: "2025-05-05T16:49:00Z", lease: "2025-05-05T16:40:00.000000Z",
      verdict: `True/Reporting: the netmedic agent reports; ${RULE}`, requeue: 691 },
    { case: "both stale, the Lease the newer: the message names the Lease", report: "2025-05-05T16:30:00Z", lease: "2025-05-05T16:37:00.000000Z",
      verdict: `False/Stale: the netmedic agent's heartbeat Lease netmedic-node-lease/worker-1 was last renewed at 2025-05-05T16:37:00.000000Z (last report at 2025-05-05T16:30:00Z): ${RULE}`, requeue: 300 },
    { case: "both stale, the report the newer: the message names the report", report: "2025-05-05T16:37:00Z", lease: "2025-05-05T16:30:00.000000Z",
      verdict: `False/Stale: the netmedic agent's last report was at 2025-05-05T16:37:00Z: ${RULE}`, requeue: 300 },
    { case: "no Lease (an agent of an older release): the report alone, as before", report: "2025-05-05T16:37:00Z", lease: undefined,
      verdict: `False/Stale: the netmedic agent's last report was at 2025-05-05T16:37:00Z: ${RULE}`, requeue: 300 },
    { case: "no Lease, a fresh report", report: "2025-05-05T16:49:00Z", lease: undefined,
      verdict: `True/Reporting: the netmedic agent reports; ${RULE}`, requeue: 691 },
    { case: "an unparsable renewTime is ignored", report: "2025-05-05T16:37:00Z", lease: "yesterday",
      verdict: `False/Stale: the netmedic agent's last report was at 2025-05-05T16:37:00Z: ${RULE}`, requeue: 300 },
    { case: "a Lease without any report, past the first-report wait: never reported", report: undefined, lease: "2025-05-05T16:49:00.000000Z",
      verdict: "False/NotRunning: the netmedic agent on this node has never reported", requeue: 300 },
  ])("$case", ({ report, lease, verdict, requeue }) => {
    const observation = observed(reportedAt(report), lease);
    const check = diagnoseNode(observation, W, STALE_AFTER, HEARTBEAT)?.checks.AgentReporting;
    expect(`${check?.status}/${check?.reason}: ${check?.message}`).toBe(verdict);
    const policy = { ...DEFAULT_POLICY, staleAfterSeconds: STALE_AFTER, agentHeartbeatSeconds: HEARTBEAT };
    expect(reconcileNode({ observation, node: W, policy }).requeueAfterSeconds).toBe(requeue);
  });

  it("a Lease without any report on a new NetworkHealth: still awaiting the first report", () => {
    const observation = observed(reportedAt(undefined, healthyFacts(), "2025-05-05T16:49:50Z"), "2025-05-05T16:49:55.000000Z");
    const check = diagnoseNode(observation, W, STALE_AFTER, HEARTBEAT)?.checks.AgentReporting;
    expect(`${check?.status}/${check?.reason}`).toBe("Unknown/AwaitingFirstReport");
  });
});

describe("lastAgentHeartbeat", () => {
  it.each([
    { case: "Lease newer", report: "2025-05-05T16:30:00Z", lease: "2025-05-05T16:48:00.000000Z", expected: { time: "2025-05-05T16:48:00.000000Z", source: "lease", reportTime: "2025-05-05T16:30:00Z" } },
    { case: "report newer", report: "2025-05-05T16:49:00Z", lease: "2025-05-05T16:48:00.000000Z", expected: { time: "2025-05-05T16:49:00Z", source: "report", reportTime: "2025-05-05T16:49:00Z" } },
    { case: "equal: the report", report: "2025-05-05T16:49:00Z", lease: "2025-05-05T16:49:00.000000Z", expected: { time: "2025-05-05T16:49:00Z", source: "report", reportTime: "2025-05-05T16:49:00Z" } },
    { case: "no Lease", report: "2025-05-05T16:49:00Z", lease: undefined, expected: { time: "2025-05-05T16:49:00Z", source: "report", reportTime: "2025-05-05T16:49:00Z" } },
    { case: "no report", report: undefined, lease: "2025-05-05T16:48:00.000000Z", expected: undefined },
  ])("$case", ({ report, lease, expected }) => {
    expect(lastAgentHeartbeat(reportedAt(report), lease)).toEqual(expected);
  });
});

describe("what rests on a fresh report rests on a fresh Lease too", () => {
  const oldReport = "2025-05-05T16:30:00Z";
  it.each([
    { case: "Lease renewed after the report", lease: "2025-05-05T16:48:00.000000Z", logNeeded: false, fixes: true },
    { case: "no Lease", lease: undefined, logNeeded: true, fixes: false },
    { case: "Lease as old as the report", lease: "2025-05-05T16:29:00.000000Z", logNeeded: true, fixes: false },
  ])("$case: log read needed $logNeeded, fixes planned $fixes", ({ lease, logNeeded, fixes }) => {
    // The steady pod-network probe keeps the report's time: only the Lease says it still holds.
    expect(konnectivityLogNeeded(reportedAt(oldReport), NOW, STALE_AFTER, lease)).toBe(logNeeded);
    const diagnosis = diagnoseNode(observed(reportedAt(oldReport, k0sBrokenFacts()), lease), W, STALE_AFTER, HEARTBEAT);
    expect((diagnosis?.fixes.length ?? 0) > 0).toBe(fixes);
  });
});
