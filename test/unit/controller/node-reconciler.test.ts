/**
 * reconcileNodeByName with in-memory caches and a fake API: the informer cache never catches up
 * here, which is the race the write overlay exists for (on loopback the real watch is usually
 * faster than the next reconcile, so the integration test cannot force it).
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "@jest/globals";
import { PROBE_TARGETS_ANNOTATION, type NetworkHealth, type NetworkHealthStatus } from "../../../src/api/index.js";
import type { ClusterCaches } from "../../../src/controller/cluster-caches.js";
import { DEFAULT_CONFIG } from "../../../src/controller/config.js";
import { KonnectivityLogCache } from "../../../src/controller/konnectivity-logs.js";
import { createControllerLogger } from "../../../src/controller/logger.js";
import { ControllerMetrics } from "../../../src/controller/metrics.js";
import { reconcileNodeByName, type ReconcilerDeps } from "../../../src/controller/node-reconciler.js";
import { ObservationBuilder } from "../../../src/controller/observation-builder.js";
import { NetworkHealthOverlay } from "../../../src/controller/status-overlay.js";
import type { EventRecorder } from "../../../src/k8s/event-recorder.js";
import type { NetworkHealthClient } from "../../../src/k8s/networkhealth-client.js";
import { health, k0sBrokenFacts, node, probe } from "../../fixtures/cluster.js";

const silent = createControllerLogger("silent", new Writable({ write: (_chunk, _encoding, done) => done() }));

/** Fakes for `names`; those in `absent` have no NetworkHealth yet (the first reconcile creates it). */
function fakes(names: string[], writeDelayMs = 0, failWritesOf = new Set<string>(), absent = new Set<string>()) {
  const nodes = names.map((name, index) => ({ ...node(name, `192.168.1.${42 + index}`), metadata: { ...node(name, "x").metadata, uid: `uid-${name}` } }));
  const owned = (name: string): NetworkHealth => {
    const cached = health(name, { facts: { ...k0sBrokenFacts(), collectedAt: new Date().toISOString() }, probes: [probe("Host", "Konnectivity", "ok")], agent: { heartbeatTime: new Date().toISOString() } });
    const annotations = { [PROBE_TARGETS_ANNOTATION]: "{}" };
    return { ...cached, metadata: { ...cached.metadata, annotations, uid: `nh-${name}`, resourceVersion: "10", ownerReferences: [{ apiVersion: "v1", kind: "Node", name, uid: `uid-${name}`, controller: true, blockOwnerDeletion: true }] } };
  };
  const cachedHealths = names.filter((name) => !absent.has(name)).map(owned);
  const caches = {
    nodes: { get: (name: string) => nodes.find((n) => n.metadata.name === name), list: () => nodes },
    apiServices: { list: () => [] },
    konnectivityPods: { list: () => [] },
    probePods: { list: () => [] },
    endpoints: { get: () => undefined },
    networkHealths: { get: (name: string) => cachedHealths.find((h) => h.metadata.name === name) },
    listNetworkHealths: () => cachedHealths,
  } as unknown as ClusterCaches;
  const writes: Array<{ name: string; status: NetworkHealthStatus }> = [];
  const applies: NetworkHealth[] = [];
  let resourceVersion = 100;
  const client = {
    applyStatus: async (name: string, status: NetworkHealthStatus) => {
      if (writeDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, writeDelayMs));
      if (failWritesOf.has(name)) throw Object.assign(new Error("conflict"), { code: 409 });
      writes.push({ name, status });
      const base = cachedHealths.find((h) => h.metadata.name === name) as NetworkHealth;
      resourceVersion += 1;
      return { ...base, metadata: { ...base.metadata, resourceVersion: String(resourceVersion) }, status: { ...base.status, ...status } };
    },
    apply: async (body: NetworkHealth) => {
      applies.push(body);
      resourceVersion += 1;
      const created = new Date().toISOString();
      return { ...body, metadata: { ...body.metadata, uid: `nh-${body.metadata.name}`, creationTimestamp: created, generation: 1, resourceVersion: String(resourceVersion) } };
    },
  } as unknown as NetworkHealthClient;
  const events: string[] = [];
  const deps: ReconcilerDeps = {
    caches, client, overlay: new NetworkHealthOverlay(), observations: new ObservationBuilder(),
    logs: new KonnectivityLogCache(async () => ({ lines: [] }), 60_000),
    events: { record: (targets: Array<{ kind: string }>, event: { reason: string }) => void events.push(`${event.reason}@${targets.map((t) => t.kind).join("+")}`) } as unknown as EventRecorder,
    metrics: new ControllerMetrics({ networkHealths: () => [], apiServices: () => [] }),
    config: () => DEFAULT_CONFIG, now: () => new Date(), requestTimeoutMs: 1000, beforeRequest: async () => undefined,
  };
  return { deps, writes, applies, events, caches };
}

describe("reconcileNodeByName", () => {
  it("counts an order it just wrote against maxConcurrent before the watch delivers it", async () => {
    const { deps, writes } = fakes(["w1", "w2"]);
    await reconcileNodeByName(deps, "w1", silent);
    await reconcileNodeByName(deps, "w2", silent);
    expect(writes.map((w) => [w.name, w.status.remediation?.phase])).toEqual([["w1", "Pending"], ["w2", "Blocked"]]);
  });

  it("reconciles running in parallel still order at most maxConcurrent nodes: the decision is staged before the write is awaited", async () => {
    const { deps, writes } = fakes(["w1", "w2", "w3"], 50);
    await Promise.all(["w1", "w2", "w3"].map((name) => reconcileNodeByName(deps, name, silent)));
    expect(writes.map((w) => [w.name, w.status.remediation?.phase])).toEqual([["w1", "Pending"], ["w2", "Blocked"], ["w3", "Blocked"]]);
  });

  it("a staged order whose write failed no longer counts: the next node may be ordered", async () => {
    const { deps, writes } = fakes(["w1", "w2"], 0, new Set(["w1"]));
    await expect(reconcileNodeByName(deps, "w1", silent)).rejects.toMatchObject({ code: 409 });
    await reconcileNodeByName(deps, "w2", silent);
    expect(writes.map((w) => [w.name, w.status.remediation?.phase])).toEqual([["w2", "Pending"]]);
    expect(deps.overlay.size).toBe(1);
  });

  it("writes nothing the second time: the overlay holds what was written", async () => {
    const { deps, writes, applies } = fakes(["w1"]);
    const first = await reconcileNodeByName(deps, "w1", silent);
    const second = await reconcileNodeByName(deps, "w1", silent);
    expect([first.wrote, second.wrote]).toEqual([true, false]);
    expect(writes).toHaveLength(1);
    expect(applies).toEqual([]);
  });

  it("creates a missing NetworkHealth with its owner and probe targets, and holds its first status for the agent's report", async () => {
    const { deps, writes, applies, caches } = fakes(["w1"], 0, new Set(), new Set(["w1"]));
    Object.assign(caches, { endpoints: { get: () => ({ subsets: [{ addresses: [{ ip: "192.168.1.41" }], ports: [{ name: "https", port: 6443 }] }] }) } });
    const outcome = await reconcileNodeByName(deps, "w1", silent);
    expect(applies.map((a) => a.metadata)).toEqual([{
      name: "w1",
      ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "w1", uid: "uid-w1", controller: true, blockOwnerDeletion: true }],
      annotations: { [PROBE_TARGETS_ANNOTATION]: '{"apiServers":["192.168.1.41:6443"]}' },
    }]);
    expect(writes).toEqual([]);
    expect(outcome).toEqual({ wrote: false, requeueAfterSeconds: 30 });
  });

  it("re-applies the annotation, with the ownerReference, when the targets move", async () => {
    const { deps, applies, caches } = fakes(["w1"]);
    await reconcileNodeByName(deps, "w1", silent);
    expect(applies).toEqual([]);
    Object.assign(caches, { endpoints: { get: () => ({ subsets: [{ addresses: [{ ip: "192.168.1.50" }], ports: [{ name: "https", port: 6443 }] }] }) } });
    await reconcileNodeByName(deps, "w1", silent);
    expect(applies.map((a) => [a.metadata.ownerReferences?.[0]?.uid, a.metadata.annotations?.[PROBE_TARGETS_ANNOTATION]])).toEqual([["uid-w1", '{"apiServers":["192.168.1.50:6443"]}']]);
  });

  it("emits the core's events on the NetworkHealth and the Node, after the write", async () => {
    const { deps, events } = fakes(["w1"]);
    await reconcileNodeByName(deps, "w1", silent);
    expect(events).toContain("Pending@NetworkHealth+Node");
  });

  it("does nothing for a node that is gone (its NetworkHealth is left to the garbage collector)", async () => {
    const { deps, writes } = fakes(["w1"]);
    expect(await reconcileNodeByName(deps, "gone", silent)).toEqual({ wrote: false });
    expect(writes).toEqual([]);
  });
});
