// Which cache changes reach the work queue: a Node update that moved only what a kubelet's periodic
// status update moves, like a heartbeat-only NetworkHealth update, stops at the router; so does an
// agent's Lease renewal while its node is judged AgentReporting=True.
import { describe, expect, it } from "@jest/globals";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { NetworkHealth } from "../../../../src/api/index.js";
import type { KubeNode } from "../../../../src/core/index.js";
import { ControllerMetrics } from "../../../../src/controller/metrics.js";
import { ObservationBuilder } from "../../../../src/controller/reconcile/observation-builder.js";
import { NetworkHealthOverlay } from "../../../../src/controller/reconcile/status-overlay.js";
import { CacheChangeRouter } from "../../../../src/controller/runtime/cache-changes.js";
import { health, node } from "../../../fixtures/cluster.js";

/**
 * A router over a Node cache stand-in whose version moves by one per change, and a NetworkHealth
 * stand-in holding `healths`; records what it enqueues.
 */
function router(healths: NetworkHealth[] = []) {
  const enqueued: string[] = [];
  let version = 0;
  const metrics = new ControllerMetrics({ networkHealths: () => [], apiServices: () => [] });
  const routes = new CacheChangeRouter({
    overlay: new NetworkHealthOverlay(), observations: new ObservationBuilder(), metrics,
    nodesVersion: () => version, allNodes: () => ["worker-1"], enqueue: (names) => enqueued.push(...names),
    health: (name) => healths.find((h) => h.metadata.name === name),
  });
  const change = (kind: "add" | "update", object: KubeNode) => {
    version += 1;
    routes.onChange("Node", kind, object as KubernetesObject);
  };
  return { change, enqueued, routes, metrics };
}

/** The samples of netmedic_heartbeat_updates_skipped_total by resource label. */
async function skipped(metrics: ControllerMetrics): Promise<Record<string, number>> {
  const values = (await metrics.heartbeatsSkipped.get()).values;
  return Object.fromEntries(values.map((v) => [String(v.labels.resource), v.value]));
}

/** worker-1's agent heartbeat Lease, renewed at `renewTime`. */
const lease = (renewTime: string): KubernetesObject =>
  ({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "worker-1", namespace: "netmedic-node-lease", resourceVersion: renewTime }, spec: { renewTime } }) as KubernetesObject;

/** worker-1's NetworkHealth whose AgentReporting condition is `status`/`reason` (none: no status written yet). */
const judged = (status?: "True" | "False" | "Unknown", reason = "Reporting"): NetworkHealth => health("worker-1", status
  ? { conditions: [{ type: "AgentReporting", status, reason, message: "", lastTransitionTime: "2025-05-05T16:00:00Z" }] }
  : {});

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

describe("CacheChangeRouter: agent heartbeat Lease changes", () => {
  it.each([
    ["a Reporting node (renewal ends at the router, counted)", [judged("True")], "update", [], 1],
    ["a Reporting node's Lease first seen", [judged("True")], "add", [], 1],
    ["a Stale node (the renewal may revive it)", [judged("False", "Stale")], "update", ["worker-1"], 0],
    ["a node whose agent never reported", [judged("False", "NotRunning")], "update", ["worker-1"], 0],
    ["a node awaiting its first report", [judged("Unknown", "AwaitingFirstReport")], "add", ["worker-1"], 0],
    ["a NetworkHealth without conditions yet", [judged()], "update", ["worker-1"], 0],
    ["a node without a NetworkHealth", [], "add", ["worker-1"], 0],
    ["a deleted Lease of a Reporting node", [judged("True")], "delete", ["worker-1"], 0],
  ] as Array<[string, NetworkHealth[], "add" | "update" | "delete", string[], number]>)("%s", async (_case, healths, kind, expected, counted) => {
    const { routes, enqueued, metrics } = router(healths);
    routes.onChange("AgentLease", kind, lease("2025-05-05T16:50:00.000000Z"));
    expect(enqueued).toEqual(expected);
    expect(await skipped(metrics)).toEqual({ networkhealths: 0, "agent-leases": counted });
  });
});

