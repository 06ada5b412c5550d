import { describe, expect, it } from "@jest/globals";
import type { NetworkHealth } from "../../../src/api/index.js";
import { DEFAULT_POLICY, reconcileNode } from "../../../src/core/index.js";
import { NO_ROUTE_LINE, NOW, healthyFacts, konnectivityPod, node, observe } from "../../fixtures/cluster.js";

const W = "worker-1";
const secondsBefore = (seconds: number) => new Date(Date.parse(NOW) - seconds * 1000).toISOString();

/** A NetworkHealth as the controller creates it: metadata only, created `age` seconds before NOW. */
function fresh(age: number | undefined, status?: NetworkHealth["status"]): NetworkHealth {
  const created = age === undefined ? {} : { creationTimestamp: secondsBefore(age) };
  return { apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: W, generation: 1, ...created }, ...(status ? { status } : {}) };
}

function decide(object: NetworkHealth, logLines: string[] = [], ready = "True") {
  const observation = observe({
    nodes: [node(W, "192.168.1.42", { ready })], pods: [konnectivityPod(W)], healths: [object],
    logs: { [`kube-system/konnectivity-agent-${W}`]: logLines },
  });
  return reconcileNode({ observation, node: W, policy: DEFAULT_POLICY });
}

describe("the first verdict waits for the node's agent (staleAfterSeconds 120)", () => {
  it.each([
    { case: "never written, no report, created 10 s ago", object: fresh(10), changed: false, requeue: 110 },
    { case: "never written, no report, created 119.5 s ago", object: fresh(119.5), changed: false, requeue: 1 },
    { case: "never written, no report, created 120 s ago: the missing agent is reported", object: fresh(120), changed: true, requeue: undefined },
    { case: "no creationTimestamp (cannot tell its age): written", object: fresh(undefined), changed: true, requeue: undefined },
    { case: "the agent has reported", object: fresh(10, { agent: { heartbeatTime: secondsBefore(2) }, facts: { ...healthyFacts(), collectedAt: secondsBefore(2) } }), changed: true, requeue: undefined },
  ])("$case → changed $changed", ({ object, changed, requeue }) => {
    const result = decide(object);
    expect(result.changed).toBe(changed);
    if (!changed) expect(result.requeueAfterSeconds).toBe(requeue);
    if (!changed) expect(result.events).toEqual([]);
  });

  it("a fault the cluster-side evidence already shows is written at once (the konnectivity-agent log: no route to host)", () => {
    const result = decide(fresh(5), [NO_ROUTE_LINE]);
    expect(result.changed).toBe(true);
    expect(result.status.conditions?.find((c) => c.type === "KonnectivityReachable")).toMatchObject({ status: "False", reason: "NoRouteToHost" });
  });

  it("a status the controller wrote before is kept up to date as always", () => {
    const written = decide(fresh(200)).status;
    const result = decide(fresh(10, written));
    expect(result.changed).toBe(false);
    expect(result.requeueAfterSeconds).toBeUndefined();
  });
});
