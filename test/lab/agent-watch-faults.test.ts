// The agent's orders by WATCH, on the real wire and under real faults: the whole agent (node lab as
// its host, deploy/'s agent RBAC as its identity, its production interval of 10 s) talks to a
// replica apiserver of the shared plane (watch cache off: a compacted resourceVersion is a real
// 410 Gone) through a fault proxy, while the "controller" writes orders through the shared
// apiserver. An order is acted on within about a second, with no GET; an apiserver restart, a
// cut connection during which etcd is compacted (410 → relist), and a connection that goes silent
// without a reset (found because the agent's own write does not come back on its watch) lose no order.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { FIELD_MANAGER_CONTROLLER, PROBE_TARGETS_ANNOTATION, type NetworkHealth } from "../../src/api/index.js";
import { encodeProbeTargets } from "../../src/core/index.js";
import { AgentApiClient } from "../../src/k8s/light/agent-api-client.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { createAgent } from "../../src/agent/main.js";
import { WatchedNetworkHealthStore, type WatchedStoreApi } from "../../src/agent/watched-store.js";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { applyCrds } from "../support/control-plane/crds.js";
import { startApiServerReplica, type ApiServerReplica } from "../support/control-plane/replica.js";
import { startLab, type Lab } from "../support/lab/index.js";
import { startFaultProxy, type FaultProxy } from "../integration/controller-fixtures.js";
import { captureLogger } from "./agent-support.js";
import { agentIdentity, tokenOf, writeKubeconfig } from "./agent-identity.js";

async function eventually<T>(what: string, read: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("agent orders by watch, through apiserver restart and 410 Gone", () => {
  const cluster = getTestCluster();
  const node = uniqueName("watch-node");
  const dir = mkdtempSync(join(tmpdir(), "netmedic-agent-watch-"));
  const calls = { listOne: 0, watchOne: 0, applyStatus: 0 };
  let lab: Lab;
  let replica: ApiServerReplica;
  let proxy: FaultProxy;
  let controller: NetworkHealthClient;
  let store: WatchedNetworkHealthStore;
  let lines: string[];
  const stop = new AbortController();
  let running: Promise<void> | undefined;
  const read = (): Promise<NetworkHealth | undefined> => controller.get(node);
  const resultOf = async (orderId: string) => (await read())?.status?.agent?.results?.find((r) => r.orderId === orderId);
  // Server-side apply is the controller's complete intent: every write carries the order.
  const order = (orderId: string, summary = "an order") =>
    controller.applyStatus(node, { diagnosis: { summary }, remediation: { phase: "Pending", orderId, actions: [{ action: "EnableIPForwarding" }] } });
  const logged = (msg: string) => lines.map((l) => JSON.parse(l) as { msg: string; time: number; orderId?: string }).filter((l) => l.msg === msg);

  beforeAll(async () => {
    await applyCrds(cluster.kubeConfig);
    [lab, replica] = await Promise.all([startLab({ ipForward: 0 }), startApiServerReplica({ watchCache: false })]);
    proxy = await startFaultProxy(new URL(replica.server));
    const identity = await agentIdentity(cluster.kubeConfig);
    const caData = readFileSync(cluster.caCertPath).toString("base64");
    const api = await AgentApiClient.load(writeKubeconfig(dir, "agent", proxy.url, { "certificate-authority-data": caData }, { token: tokenOf(identity) }), { timeoutMs: 5000 });
    // Counts the agent's API calls: a GET would show up as a call the store does not have.
    const counted: WatchedStoreApi = {
      listOne: (name) => (calls.listOne += 1, api.listOne(name)),
      watchOne: (...args) => (calls.watchOne += 1, api.watchOne(...args)),
      applyStatus: (name, status) => (calls.applyStatus += 1, api.applyStatus(name, status)),
    };
    const captured = captureLogger();
    lines = captured.lines;
    // The delivery grace is shortened (30 s as shipped) so the silent-connection story runs in seconds.
    store = new WatchedNetworkHealthStore(counted, node, captured.logger.child({ component: "watch" }), { deliveryGraceMs: 5000 });
    controller = new NetworkHealthClient(cluster.kubeConfig, FIELD_MANAGER_CONTROLLER);
    const targets = { konnectivity: [`${lab.addresses.control}:8132`] };
    await controller.apply({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: node, annotations: { [PROBE_TARGETS_ANNOTATION]: encodeProbeTargets(targets) } }, spec: {} });
    const options = { nodeName: node, hostPid: lab.workerPid, intervalMs: 10_000, heartbeatMs: 300_000, probeTimeoutMs: 1000, logLevel: "debug" };
    running = createAgent(options, store, captured.logger).run(stop.signal).finally(() => api.close());
    await eventually("the agent's first report", async () => (await read())?.status?.agent?.heartbeatTime);
  }, 120_000);

  afterAll(async () => {
    stop.abort();
    await running;
    await proxy?.close();
    await replica?.stop();
    await lab?.stop();
    await cluster.kubeConfig.makeApiClient(CustomObjectsApi).deleteClusterCustomObject({ group: "netmedic.io", version: "v1alpha1", plural: "networkhealths", name: node }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("acts on an order within about a second of its write, without a GET (interval 10 s)", async () => {
    const written = Date.now();
    await order(`${node}-o1`);
    await eventually("o1's result", () => resultOf(`${node}-o1`), 10_000);
    const received = logged("order received").find((l) => l.orderId === `${node}-o1`);
    expect(received).toBeDefined();
    const pickupMs = (received?.time ?? 0) - written;
    console.log(`order pickup ${pickupMs} ms after the write`);
    expect(pickupMs).toBeLessThan(1500);
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe("1");
    expect(calls.listOne).toBe(1);
    expect(calls.watchOne).toBe(1);
  }, 30_000);

  it("an order written while its apiserver restarts is executed once the watch resumes", async () => {
    await lab.execIn("worker", ["sysctl", "-w", "net.ipv4.ip_forward=0"]);
    const watchesBefore = calls.watchOne;
    const restarting = replica.restart();
    await new Promise((r) => setTimeout(r, 300));
    await order(`${node}-o2`);
    await restarting;
    await eventually("o2's result", () => resultOf(`${node}-o2`), 30_000);
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe("1");
    expect(calls.watchOne).toBeGreaterThan(watchesBefore);
    expect(logged("networkhealth watch failed").length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("an order written while the agent is cut off and etcd is compacted arrives by a relist after 410 Gone", async () => {
    await lab.execIn("worker", ["sysctl", "-w", "net.ipv4.ip_forward=0"]);
    const listsBefore = calls.listOne;
    proxy.cut();
    await order(`${node}-o3`);
    for (let n = 0; n < 3; n += 1) await order(`${node}-o3`, `write ${n} while the agent is cut off`);
    replica.compactEtcd();
    proxy.restore();
    await eventually("o3's result", () => resultOf(`${node}-o3`), 60_000);
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe("1");
    expect(logged("networkhealth watch expired; listing again").length).toBeGreaterThanOrEqual(1);
    expect(calls.listOne).toBe(listsBefore + 1);
    // Each order ran exactly once.
    const results = (await read())?.status?.agent?.results ?? [];
    expect(results.map((r) => r.orderId)).toEqual([`${node}-o1`, `${node}-o2`, `${node}-o3`]);
  }, 90_000);

  it("an order written while the watch's connection is silently dead arrives once the agent's next report does not come back on it", async () => {
    const watchesBefore = calls.watchOne;
    proxy.stall();
    await order(`${node}-o4`);
    // A fact changes: the agent reports it (on a new connection once the stalled one times out),
    // and that write never comes back on the stalled watch.
    await lab.execIn("worker", ["sysctl", "-w", "net.ipv4.ip_forward=0"]);
    await eventually("o4's result", () => resultOf(`${node}-o4`), 90_000);
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe("1");
    expect(logged("networkhealth watch did not deliver the agent's own write; restarting it").length).toBeGreaterThanOrEqual(1);
    expect(store.watch.silentRestarts).toBeGreaterThanOrEqual(1);
    expect(calls.watchOne).toBeGreaterThan(watchesBefore);
    const results = (await read())?.status?.agent?.results ?? [];
    expect(results.map((r) => r.orderId)).toEqual([`${node}-o1`, `${node}-o2`, `${node}-o3`, `${node}-o4`]);
  }, 120_000);
});
