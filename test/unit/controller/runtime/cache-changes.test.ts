// Which cache changes reach the work queue: a Node update that moved only what a kubelet's periodic
// status update moves, like a heartbeat-only NetworkHealth update, stops at the router.
import { describe, expect, it } from "@jest/globals";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeNode } from "../../../../src/core/index.js";
import { ControllerMetrics } from "../../../../src/controller/metrics.js";
import { ObservationBuilder } from "../../../../src/controller/reconcile/observation-builder.js";
import { NetworkHealthOverlay } from "../../../../src/controller/reconcile/status-overlay.js";
import { CacheChangeRouter } from "../../../../src/controller/runtime/cache-changes.js";
import { node } from "../../../fixtures/cluster.js";

/** A router over a Node cache stand-in whose version moves by one per change; records what it enqueues. */
function router() {
  const enqueued: string[] = [];
  let version = 0;
  const routes = new CacheChangeRouter({
    overlay: new NetworkHealthOverlay(), observations: new ObservationBuilder(),
    metrics: new ControllerMetrics({ networkHealths: () => [], apiServices: () => [] }),
    nodesVersion: () => version, allNodes: () => ["worker-1"], enqueue: (names) => enqueued.push(...names),
  });
  const change = (kind: "add" | "update", object: KubeNode) => {
    version += 1;
    routes.onChange("Node", kind, object as KubernetesObject);
  };
  return { change, enqueued };
}

/** The kubelet's status update: the Ready condition's heartbeat time and the resourceVersion move. */
const statusUpdate = (object: KubeNode, at: string): KubeNode => ({
  ...object, metadata: { ...object.metadata, resourceVersion: at },
  status: { ...object.status, conditions: object.status?.conditions?.map((c) => ({ ...c, lastHeartbeatTime: at })) },
} as KubeNode);

describe("CacheChangeRouter: Node changes", () => {
  it.each([
    ["the kubelet's periodic status update", (n: KubeNode) => statusUpdate(n, "2025-05-05T16:55:00Z"), []],
    ["Ready turning False", () => node("worker-1", "192.168.1.42", { ready: "False" }), ["worker-1"]],
    ["the remediation annotation", () => node("worker-1", "192.168.1.42", { annotations: { "netmedic.io/remediation": "disabled" } }), ["worker-1"]],
  ])("an update by %s: reconciled only when it can move a verdict", (_case, update, expected) => {
    const { change, enqueued } = router();
    const before = node("worker-1", "192.168.1.42");
    change("add", before);
    expect(enqueued).toEqual(["worker-1"]);
    enqueued.length = 0;
    change("update", update(before));
    expect(enqueued).toEqual(expected);
  });
});
