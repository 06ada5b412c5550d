/**
 * reconcileNodeByName with in-memory caches and a fake API: the informer cache never catches up
 * here, which is the race the write overlay exists for (on loopback the real watch is usually
 * faster than the next reconcile, so the integration test cannot force it).
 */
import { Writable } from "node:stream";
import { describe, expect, it, jest } from "@jest/globals";
import { PROBE_TARGETS_ANNOTATION, type NetworkHealth, type NetworkHealthStatus } from "../../../../src/api/index.js";
import { DEFAULT_CONFIG } from "../../../../src/controller/config/config.js";
import { KonnectivityLogCache } from "../../../../src/controller/reconcile/konnectivity-logs.js";
import { createControllerLogger } from "../../../../src/controller/logger.js";
import { ControllerMetrics } from "../../../../src/controller/metrics.js";
import { decideAndStage, reconcileNodeByName, type ReconcilerDeps } from "../../../../src/controller/reconcile/node-reconciler.js";
import { NodeStores, type ClusterReader } from "../../../../src/controller/reconcile/node-store.js";
import { ObservationBuilder } from "../../../../src/controller/reconcile/observation-builder.js";
import { NetworkHealthOverlay } from "../../../../src/controller/reconcile/status-overlay.js";
import { health, k0sBrokenFacts, node, probe } from "../../../fixtures/cluster.js";

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
  const none = { version: 1, list: () => [] };
  const cluster = { endpoints: undefined as object | undefined };
  const caches: ClusterReader = {
    nodes: { version: 1, list: () => nodes, get: (name) => nodes.find((n) => n.metadata.name === name) },
    apiServices: none, konnectivityPods: none, probePods: none,
    kubernetesEndpoints: () => cluster.endpoints,
    networkHealth: (name) => cachedHealths.find((h) => h.metadata.name === name),
    listNetworkHealths: () => cachedHealths,
    agentLeaseRenewTime: () => undefined,
  };
  const writes: Array<{ name: string; status: NetworkHealthStatus }> = [];
  const applies: NetworkHealth[] = [];
  let resourceVersion = 100;
  const client: ReconcilerDeps["client"] = {
    applyStatus: async (name, status) => {
      if (writeDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, writeDelayMs));
      if (failWritesOf.has(name)) throw Object.assign(new Error("conflict"), { code: 409 });
      writes.push({ name, status });
      const base = cachedHealths.find((h) => h.metadata.name === name) as NetworkHealth;
      resourceVersion += 1;
      return { ...base, metadata: { ...base.metadata, resourceVersion: String(resourceVersion) }, status: { ...base.status, ...status } };
    },
    apply: async (body) => {
      applies.push(body);
      resourceVersion += 1;
      // Server-side apply keeps an existing object's status and creation time.
      const existing = cachedHealths.find((h) => h.metadata.name === body.metadata.name);
      const creationTimestamp = existing?.metadata.creationTimestamp ?? new Date().toISOString();
      const metadata = { ...body.metadata, uid: `nh-${body.metadata.name}`, creationTimestamp, generation: 1, resourceVersion: String(resourceVersion) };
      return { ...existing, ...body, metadata };
    },
  };
  const events: string[] = [];
  const overlay = new NetworkHealthOverlay();
  const logs = new KonnectivityLogCache(async () => ({ lines: [] }), 60_000);
  const observations = new ObservationBuilder();
  const deps: ReconcilerDeps = {
    stores: new NodeStores({ caches, overlay, observations, logs }),
    client, overlay, logs,
    events: { record: (targets, event) => void events.push(`${event.reason}@${targets.map((t) => t.kind).join("+")}`) },
    metrics: new ControllerMetrics({ networkHealths: () => [], apiServices: () => [] }),
    config: () => DEFAULT_CONFIG, now: () => new Date(), requestTimeoutMs: 1000, beforeRequest: async () => undefined,
  };
  return { deps, writes, applies, events, cluster, caches, observations };
}

/** decideAndStage returns a plain value: were it made async, this would not compile (maxConcurrent rests on it). */
type Synchronous<F extends (...args: never[]) => unknown> = ReturnType<F> extends PromiseLike<unknown> ? false : true;
const decideAndStageIsSynchronous: Synchronous<typeof decideAndStage> = true;

const endpointsAt = (ip: string) => ({ subsets: [{ addresses: [{ ip }], ports: [{ name: "https", port: 6443 }] }] });

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
    const { deps, writes, applies, cluster } = fakes(["w1"], 0, new Set(), new Set(["w1"]));
    cluster.endpoints = endpointsAt("192.168.1.41");
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
    const { deps, applies, cluster } = fakes(["w1"]);
    await reconcileNodeByName(deps, "w1", silent);
    expect(applies).toEqual([]);
    cluster.endpoints = endpointsAt("192.168.1.50");
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

  it("decides and stages in one synchronous call: the staged order counts for the next node before any await", () => {
    const { deps } = fakes(["w1", "w2"]);
    const policy = DEFAULT_CONFIG.policy;
    const first = decideAndStage(deps.stores.open("w1", new Date()), deps.overlay, policy);
    expect(decideAndStageIsSynchronous).toBe(true);
    expect(first).not.toBeInstanceOf(Promise);
    expect(first?.staged?.status?.remediation?.phase).toBe("Pending");
    const second = decideAndStage(deps.stores.open("w2", new Date()), deps.overlay, policy);
    expect(second?.result.status.remediation?.phase).toBe("Blocked");
  });

  it("reads one clock and builds one Observation per pass, creating or reconciling", async () => {
    const { deps, observations } = fakes(["w1"], 0, new Set(), new Set(["w1"]));
    const now = jest.fn(() => new Date());
    const build = jest.spyOn(observations, "buildForNode");
    const passes = [await reconcileNodeByName({ ...deps, now }, "w1", silent), await reconcileNodeByName({ ...deps, now }, "w1", silent)];
    expect(passes.map((pass) => pass.wrote)).toEqual([false, false]);
    expect([now.mock.calls.length, build.mock.calls.length]).toEqual([2, 2]);
  });

  it("adopts a NetworkHealth another Node incarnation owned, then decides it in the pass the requeue brings", async () => {
    const { deps, writes, applies, caches } = fakes(["w1"]);
    const cached = caches.networkHealth("w1") as NetworkHealth;
    cached.metadata.ownerReferences = [{ apiVersion: "v1", kind: "Node", name: "w1", uid: "uid-old", controller: true }];
    expect(await reconcileNodeByName(deps, "w1", silent)).toEqual({ wrote: false, requeueAfterSeconds: 1 });
    expect(applies.map((a) => a.metadata.ownerReferences?.[0]?.uid)).toEqual(["uid-w1"]);
    expect(writes).toEqual([]);
    expect(await reconcileNodeByName(deps, "w1", silent)).toMatchObject({ wrote: true });
    expect(writes.map((w) => w.status.remediation?.phase)).toEqual(["Pending"]);
  });
});
