/**
 * netmedic controller under faults, on the run's one apiserver replica (replica.ts: a second
 * kube-apiserver on the shared plane's etcd, watch cache off, so a watch from a compacted
 * resourceVersion gets etcd's real 410 Gone, and restarting it disturbs no other file):
 * - the replica itself: a real 410 Gone after compaction, and it dies with its stop();
 * - a request the server refuses (403) is recorded once, not hot-looped;
 * - a real apiserver restart, and dropped streams plus etcd compaction while cut off (the fault
 *   proxy), lose no change;
 * - two controllers: one leader; a released Lease is taken at once, a silent leader's within the
 *   lease duration, and the old leader steps down before the new one starts.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CoreV1Api, KubeConfig, PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions, Watch } from "@kubernetes/client-node";
import { startController, type ControllerOptions, type RunningController } from "../../src/controller/controller.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { asServiceAccount, uniqueName } from "../support/control-plane/cluster.js";
import { startApiServerReplica, type ApiServerReplica } from "../support/control-plane/replica.js";
import { healthyFacts } from "../fixtures/cluster.js";
import { apiserverRequests, eventually, kubeConfigVia, loopbackNodes, memoryLogger, reportAsAgent, sleep, startFaultProxy } from "./controller-fixtures.js";

let replica: ApiServerReplica;
/** Admin on the replica: its apiserver_request_total then counts this file's requests only. */
let admin: KubeConfig;
let nodes: ReturnType<typeof loopbackNodes>;
const nh = () => new NetworkHealthClient(admin, "test-reader");
const KUBELET_PORT = 1; // no kubelet: these nodes run no konnectivity agent, nothing reads their logs
const namespace = uniqueName("netmedic-faults");
const node = (prefix: string) => `${prefix}-${namespace.slice(-8)}`;
/** The node's agent reports (the controller holds a new object's first status for that report). */
const agentReports = (name: string) => reportAsAgent(admin, name, healthyFacts());

beforeAll(async () => {
  replica = await startApiServerReplica({ watchCache: false });
  admin = new KubeConfig();
  admin.loadFromFile(replica.kubeconfigPath);
  nodes = loopbackNodes(admin, KUBELET_PORT);
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
}, 60_000);

afterAll(async () => {
  if (process.env["DEBUG_CONTROLLER_LOGS"]) for (const [identity, lines] of logs) console.log(identity, lines.map((l) => JSON.stringify(l)).join("\n"));
  await nodes?.cleanup();
  const rbac = admin?.makeApiClient(RbacAuthorizationV1Api);
  await rbac?.deleteClusterRoleBinding({ name: LIMITED }).catch(() => undefined);
  await rbac?.deleteClusterRole({ name: LIMITED }).catch(() => undefined);
  await admin?.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
  const pid = replica?.pid();
  await replica?.stop();
  if (pid) expect(() => process.kill(pid, 0)).toThrow();
}, 30_000);

describe("the replica apiserver (watch cache off)", () => {
  it("a watch from a compacted resourceVersion gets a real 410 Gone", async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const name = uniqueName("cm");
    const created = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { n: "0" } } });
    for (let n = 1; n <= 3; n += 1) await core.replaceNamespacedConfigMap({ name, namespace, body: { metadata: { name }, data: { n: String(n) } } });
    replica.compactEtcd();
    const code = await new Promise<number | undefined>((resolve, reject) => {
      void new Watch(admin).watch(`/api/v1/namespaces/${namespace}/configmaps`, { resourceVersion: created.metadata?.resourceVersion },
        (type, object: { code?: number }) => { if (type === "ERROR") resolve(object.code); },
        (error) => (error ? reject(error) : resolve(undefined)));
    });
    expect(code).toBe(410);
  });
});

/** This file's Node names, unique on the shared plane. */
const N = {
  "forbidden-1": node("forbidden-1"), "restart-1": node("restart-1"), "restart-2": node("restart-2"),
  "cut-gone": node("cut-gone"), "cut-new": node("cut-new"), "elected-1": node("elected-1"),
};
const LIMITED = `netmedic-limited-${namespace}`;

const logs = new Map<string, Array<Record<string, unknown>>>();

function options(kubeConfig: KubeConfig, identity: string, leaseName: string): ControllerOptions {
  const { logger, lines } = memoryLogger();
  logs.set(identity, lines);
  return {
    kubeConfig, namespace, listen: { host: "127.0.0.1", port: 0 }, identity, leaseName,
    leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 0.5, logger,
    restartBackoff: { baseMs: 200, capMs: 1000 },
  };
}

async function metricSum(controller: RunningController, name: string, labels = ""): Promise<number> {
  const text = await controller.metrics.registry.metrics();
  return text.split("\n").filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `)).filter((line) => line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

describe("a request the apiserver refuses (403)", () => {
  let controller: RunningController;
  afterAll(async () => {
    await controller?.stop();
  });

  it("is recorded once as a Warning on the NetworkHealth and the Node, counted, and not retried on its own", async () => {
    const serviceAccount = await withoutStatusPermission(admin);
    controller = await startController(options(serviceAccount, "limited", "limited"));
    await eventually("leadership", () => controller.isLeader());
    await nodes.create(N["forbidden-1"]);
    await eventually("NetworkHealth forbidden-1 (create is allowed)", () => nh().get(N["forbidden-1"]));
    await agentReports(N["forbidden-1"]);
    await eventually("the terminal error counted", async () => (await metricSum(controller, "netmedic_reconcile_errors_total", 'class="terminal"')) >= 1);
    // Level-triggered: the NetworkHealth it created coming back through the watch may cause one more
    // attempt; after that nothing changes, so nothing is retried.
    await sleep(2000);
    const settled = await metricSum(controller, "netmedic_reconcile_errors_total", 'class="terminal"');
    await sleep(4000);
    expect(await metricSum(controller, "netmedic_reconcile_errors_total", 'class="terminal"')).toBe(settled);
    expect(settled).toBeLessThanOrEqual(2);
    expect(await metricSum(controller, "netmedic_reconcile_errors_total", 'class="transient"')).toBe(0);
    const events = (await admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: "default" })).items
      .filter((e) => e.reason === "ReconcileFailed" && e.involvedObject.name === N["forbidden-1"]);
    expect(events.map((e) => `${e.type} ${e.involvedObject.kind}`).sort()).toEqual(["Warning NetworkHealth", "Warning Node"]);
    expect(events[0]?.message).toMatch(/^netmedic cannot update this node's NetworkHealth: HTTP 403: .*networkhealths\/status/);
    expect((await nh().get(N["forbidden-1"]))?.status?.conditions).toBeUndefined();
  }, 60_000);
});

describe("watch failures", () => {
  let controller: RunningController;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  beforeAll(async () => {
    proxy = await startFaultProxy(new URL(replica.server));
    controller = await startController(options(kubeConfigVia(admin, proxy.url), "watcher", "watcher"));
    await eventually("leadership", () => controller.isLeader());
  });
  afterAll(async () => {
    await controller?.stop();
    await proxy?.close();
  });

  it("survives a real apiserver restart mid-watch and sees what changed after it", async () => {
    await nodes.create(N["restart-1"]);
    await eventually("NetworkHealth restart-1", () => nh().get(N["restart-1"]));
    await replica.restart();
    await nodes.create(N["restart-2"]);
    const created = await eventually("NetworkHealth restart-2 after the restart", () => nh().get(N["restart-2"]));
    expect(created.metadata.ownerReferences?.[0]?.name).toBe(N["restart-2"]);
    await agentReports(N["restart-2"]);
    await eventually("the controller's status of restart-2", async () => (await nh().get(N["restart-2"]))?.status?.conditions?.length);
    expect(await metricSum(controller, "netmedic_watch_restarts_total", 'resource="nodes"')).toBeGreaterThanOrEqual(1);
    expect(await metricSum(controller, "netmedic_watch_restarts_total", 'resource="networkhealths"')).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("relists after its streams were dropped and etcd compacted meanwhile (410 Gone), losing no change", async () => {
    await nodes.create(N["cut-gone"]);
    await eventually("NetworkHealth cut-gone", () => nh().get(N["cut-gone"]));
    proxy.cut();
    const core = admin.makeApiClient(CoreV1Api);
    await nodes.remove(N["cut-gone"]);
    await nodes.create(N["cut-new"]);
    for (let n = 0; n < 5; n += 1) await core.patchNode({ name: N["cut-new"], body: { metadata: { labels: { churn: String(n) } } } }, mergePatch());
    await eventually("garbage collection of cut-gone", async () => (await nh().get(N["cut-gone"])) === undefined, 30_000);
    replica.compactEtcd();
    const listsBefore = await apiserverRequests(admin, "nodes", "LIST");
    proxy.restore();
    await eventually("NetworkHealth cut-new after reconnecting", () => nh().get(N["cut-new"]), 30_000);
    await agentReports(N["cut-new"]);
    expect(await apiserverRequests(admin, "nodes", "LIST")).toBeGreaterThan(listsBefore);
    await eventually("cut-gone gone from /metrics", async () => {
      const text = await (await fetch(`http://127.0.0.1:${controller.port}/metrics`)).text();
      return text.includes(`node="${N["cut-new"]}"`) && !text.includes(`node="${N["cut-gone"]}"`);
    });
  }, 90_000);
});

describe("leader election between two controllers", () => {
  const controllers: RunningController[] = [];
  const proxies: Array<Awaited<ReturnType<typeof startFaultProxy>>> = [];
  afterAll(async () => {
    await Promise.all(controllers.map((c) => c.stop()));
    await Promise.all(proxies.map((p) => p.close()));
  });

  async function startCandidate(identity: string): Promise<RunningController> {
    const proxy = await startFaultProxy(new URL(replica.server));
    proxies.push(proxy);
    const controller = await startController(options(kubeConfigVia(admin, proxy.url), identity, "election"));
    controllers.push(controller);
    return controller;
  }

  it("elects exactly one; only the leader writes", async () => {
    const [a, b] = [await startCandidate("a"), await startCandidate("b")];
    const leader = await eventually("a leader", () => [a, b].find((c) => c.isLeader()));
    const follower = leader === a ? b : a;
    for (let sample = 0; sample < 20; sample += 1) {
      expect([a, b].filter((c) => c.isLeader())).toHaveLength(1);
      await sleep(100);
    }
    await nodes.create(N["elected-1"]);
    await eventually("NetworkHealth elected-1", () => nh().get(N["elected-1"]));
    await agentReports(N["elected-1"]);
    await eventually("NetworkHealth elected-1 with status", async () => (await nh().get(N["elected-1"]))?.status?.conditions?.length);
    expect(await metricSum(leader, "netmedic_status_writes_total")).toBeGreaterThan(0);
    expect(await metricSum(follower, "netmedic_status_writes_total")).toBe(0);
    expect(await metricSum(follower, "netmedic_is_leader")).toBe(0);
  }, 60_000);

  it("a stopped leader releases the Lease and the follower takes over at once", async () => {
    const leader = controllers.find((c) => c.isLeader()) as RunningController;
    const follower = controllers.find((c) => c !== leader) as RunningController;
    await leader.stop();
    const stoppedAt = Date.now();
    await eventually("the follower leading", () => follower.isLeader(), 10_000);
    expect(Date.now() - stoppedAt).toBeLessThan(2000);
  }, 30_000);

  it("a leader cut off from the apiserver steps down before its Lease expires; a peer takes over within the lease duration", async () => {
    const third = await startCandidate("c");
    await eventually("c synced", () => third.isReady());
    const leader = controllers.find((c) => c.isLeader()) as RunningController;
    proxies[controllers.indexOf(leader)]?.cut();
    const cutAt = Date.now();
    let steppedDownAt = 0;
    const newLeader = await eventually("a new leader", async () => {
      if (!steppedDownAt && !leader.isLeader()) steppedDownAt = Date.now();
      return steppedDownAt ? controllers.find((c) => c !== leader && c.isLeader()) : undefined;
    }, 15_000);
    const tookOverAt = Date.now();
    expect(newLeader).toBe(third);
    expect(steppedDownAt - cutAt).toBeLessThan(3000 + 1000);
    expect(tookOverAt - cutAt).toBeLessThan(4000 + 2000);
    expect(tookOverAt).toBeGreaterThanOrEqual(steppedDownAt);
  }, 30_000);
});

/** A ServiceAccount with deploy/'s controller permissions minus networkhealths/status. */
async function withoutStatusPermission(kubeConfig: KubeConfig): Promise<KubeConfig> {
  const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const name = LIMITED;
  await rbac.createClusterRole({ body: { metadata: { name }, rules: [
    { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["apiregistration.k8s.io"], resources: ["apiservices"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["netmedic.io"], resources: ["networkhealths"], verbs: ["get", "list", "watch", "create", "patch"] },
    { apiGroups: [""], resources: ["pods", "endpoints", "configmaps"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
  ] } });
  await rbac.createClusterRoleBinding({ body: { metadata: { name }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
    subjects: [{ kind: "ServiceAccount", name, namespace }] } });
  return asServiceAccount(kubeConfig, namespace, name);
}

function mergePatch() {
  return setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
}
