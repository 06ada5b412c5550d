/**
 * netmedic controller against a real control plane (private to this file: etcd, kube-apiserver with
 * the aggregator, controller-manager with the garbage collector, scheduler). The controller runs
 * in-process as ServiceAccount netmedic/netmedic-controller with exactly the RBAC of deploy/.
 * The tests tell one cluster's story in order: each builds on the objects the previous one made.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import {
  ApiregistrationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api,
  type CoreV1Event, type V1ClusterRole, type V1ClusterRoleBinding, type V1Role, type V1RoleBinding,
} from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import type { NetworkHealth } from "../../src/api/index.js";
import { startController, type RunningController } from "../../src/controller/controller.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { logMessageOf } from "../../src/core/index.js";
import { asServiceAccount } from "../support/control-plane/cluster.js";
import { startControlPlane, type ControlPlane } from "../support/control-plane/control-plane.js";
import { NO_ROUTE_LINE, k0sBrokenFacts, probe } from "../fixtures/cluster.js";
import {
  apiserverWrites, createKonnectivityAgentPod, createLoopbackNode, eventually, memoryLogger, reportAsAgent, sleep, startKubeletStandIn,
} from "./controller-fixtures.js";

/** The k0s worker's facts (FACTS.md §1). The pod interface is in no firewalld zone: the field is left out, because this
 * harness's apiserver build decodes "" in custom resources as null (reported to the harness owner). */
function k0sFacts() {
  const facts = k0sBrokenFacts();
  delete facts.firewall?.podInterfaceZone;
  return facts;
}

/** "Type" → "Status/Reason" of each condition. */
function conditionsOf(health: NetworkHealth): Record<string, string> {
  return Object.fromEntries((health.status?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
}

/** The top-level status fields a field manager owns (from managedFields). */
function fieldsOwnedBy(health: NetworkHealth, manager: string): string[] {
  const entry = (health.metadata as { managedFields?: Array<{ manager: string; fieldsV1?: { "f:status"?: object } }> }).managedFields?.find((m) => m.manager === manager);
  return Object.keys(entry?.fieldsV1?.["f:status"] ?? {}).sort();
}

/** Events written by the controller (it reports as netmedic-controller). */
async function netmedicEvents(kubeConfig: KubeConfig): Promise<CoreV1Event[]> {
  const events = await kubeConfig.makeApiClient(CoreV1Api).listEventForAllNamespaces();
  return events.items.filter((event) => event.source?.component === "netmedic-controller");
}

async function versions(client: () => NetworkHealthClient, names: string[]): Promise<Array<string | undefined>> {
  return Promise.all(names.map(async (name) => (await client().get(name))?.metadata.resourceVersion));
}

/** Sum of a metric's samples on the controller's registry. */
async function metricValue(controller: RunningController, name: string): Promise<number> {
  const text = await controller.metrics.registry.metrics();
  return text.split("\n").filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

const CONFIG = `
remediation: {orderTimeoutSeconds: 600, staleAfterSeconds: 3600}
resyncSeconds: 10
konnectivity: {logTtlSeconds: 5}
`;

/** Applies deploy/00-namespace.yaml, 10-serviceaccounts.yaml and 20-rbac-controller.yaml as the admin. */
async function applyControllerRbac(admin: KubeConfig): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespace({ body: { metadata: { name: "netmedic" } } });
  for (const document of parseAllDocuments(readFileSync("deploy/20-rbac-controller.yaml", "utf8"))) {
    const object = document.toJS() as { kind: string; metadata: { namespace?: string } };
    const namespace = object.metadata.namespace ?? "";
    if (object.kind === "ClusterRole") await rbac.createClusterRole({ body: object as V1ClusterRole });
    if (object.kind === "ClusterRoleBinding") await rbac.createClusterRoleBinding({ body: object as V1ClusterRoleBinding });
    if (object.kind === "Role") await rbac.createNamespacedRole({ namespace, body: object as V1Role });
    if (object.kind === "RoleBinding") await rbac.createNamespacedRoleBinding({ namespace, body: object as V1RoleBinding });
  }
}

/**
 * deploy/ grants Events only in `default` (for Nodes and NetworkHealths); the InvalidConfig Warning
 * is about the ConfigMap, so it must be written in `netmedic` — a gap reported to the deploy owner.
 */
async function grantEventsInNetmedicNamespace(admin: KubeConfig): Promise<void> {
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const metadata = { name: "netmedic-controller-events", namespace: "netmedic" };
  await rbac.createNamespacedRole({ namespace: "netmedic", body: { metadata, rules: [{ apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] }] } });
  await rbac.createNamespacedRoleBinding({ namespace: "netmedic", body: {
    metadata, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: metadata.name },
    subjects: [{ kind: "ServiceAccount", name: "netmedic-controller", namespace: "netmedic" }],
  } });
}

describe("netmedic controller on a real control plane", () => {
  let plane: ControlPlane;
  let admin: KubeConfig;
  let kubelet: Awaited<ReturnType<typeof startKubeletStandIn>>;
  let controller: RunningController;
  const log = memoryLogger();
  const nh = () => new NetworkHealthClient(admin, "test-reader");

  beforeAll(async () => {
    plane = await startControlPlane({ nodeMonitorGracePeriodSeconds: 600 });
    admin = new KubeConfig();
    admin.loadFromFile(plane.kubeconfigPath);
    kubelet = await startKubeletStandIn();
    await applyControllerRbac(admin);
    await grantEventsInNetmedicNamespace(admin);
    await admin.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: "netmedic", body: { metadata: { name: "netmedic-config" }, data: { "config.yaml": CONFIG } } });
    const serviceAccount = await asServiceAccount(admin, "netmedic", "netmedic-controller");
    controller = await startController({
      kubeConfig: serviceAccount, namespace: "netmedic", listen: { host: "127.0.0.1", port: 0 }, identity: "controller-a", leaseName: "netmedic-controller",
      leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 0.5, logger: log.logger, restartBackoff: { baseMs: 200, capMs: 2000 },
    });
    await eventually("leadership", () => controller.isLeader());
  }, 90_000);

  afterAll(async () => {
    await controller?.stop();
    await kubelet?.close();
    await plane?.stop();
  });

  it("creates one NetworkHealth per Node, owned by it, and the real garbage collector removes it with the Node", async () => {
    const uid = await createLoopbackNode(admin, "lifecycle-1", kubelet.port);
    const created = await eventually("NetworkHealth lifecycle-1", () => nh().get("lifecycle-1"));
    expect(created.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Node", name: "lifecycle-1", uid, controller: true, blockOwnerDeletion: true }]);
    expect(created.spec ?? {}).toEqual({});
    await admin.makeApiClient(CoreV1Api).deleteNode({ name: "lifecycle-1" });
    await eventually("garbage collection of lifecycle-1", async () => (await nh().get("lifecycle-1")) === undefined, 60_000);
  }, 90_000);

  it("diagnoses the k0s incident from the real objects: pod args, pods/log, agent facts; orders at most maxConcurrent nodes", async () => {
    const workers = ["k0s-worker-1", "k0s-worker-2"];
    for (const worker of workers) {
      await createLoopbackNode(admin, worker, kubelet.port);
      kubelet.logs.set(`kube-system/konnectivity-agent-${worker}`, `${NO_ROUTE_LINE}\n${NO_ROUTE_LINE}\n`);
      await createKonnectivityAgentPod(admin, `konnectivity-agent-${worker}`, worker, "192.168.1.41");
    }
    await Promise.all(workers.map((worker) => eventually(`NetworkHealth ${worker}`, () => nh().get(worker))));
    await Promise.all(workers.map((worker) => reportAsAgent(admin, worker, k0sFacts(), [probe("Host", "Konnectivity", "ok")])));
    const settled = await Promise.all(workers.map((worker) => eventually(`diagnosis of ${worker}`, async () => {
      const health = await nh().get(worker);
      return health?.status?.diagnosis?.rootCause === "RejectingPodTraffic" && health.status.remediation?.phase ? health : undefined;
    })));
    for (const health of settled) {
      expect(conditionsOf(health)).toMatchObject({
        Ready: "False/Degraded", IPForwarding: "False/Disabled", BridgeNetfilter: "False/Disabled", HostFirewall: "False/RejectingPodTraffic",
        KonnectivityReachable: "False/NoRouteToHost", AgentReporting: "True/Reporting",
      });
      expect(health.status?.diagnosis?.evidence).toContain(`konnectivity-agent log: ${logMessageOf(NO_ROUTE_LINE)}`);
      expect(health.status?.targets?.konnectivity).toEqual(["192.168.1.41:8132"]);
      expect(fieldsOwnedBy(health, "netmedic-controller")).toEqual(expect.not.arrayContaining(["f:facts", "f:probes", "f:agent"]));
      expect(fieldsOwnedBy(health, "netmedic-agent")).toEqual(["f:agent", "f:facts", "f:probes"]);
    }
    const phases = settled.map((health) => health.status?.remediation?.phase).sort();
    expect(phases).toEqual(["Blocked", "Pending"]);
    const ordered = settled.find((health) => health.status?.remediation?.phase === "Pending") as NetworkHealth;
    expect(ordered.status?.remediation?.actions?.map((a) => a.action)).toEqual(["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"]);
    const events = await eventually("Pending events on the NetworkHealth and the Node", async () => {
      const found = (await netmedicEvents(admin)).filter((e) => e.reason === "Pending" && e.involvedObject.name === ordered.metadata.name);
      return found.length >= 2 ? found : undefined;
    });
    expect(events.map((e) => e.involvedObject.kind).sort()).toEqual(["NetworkHealth", "Node"]);
    expect(kubelet.requests.some((url) => url.startsWith("/containerLogs/kube-system/konnectivity-agent-k0s-worker-1/konnectivity-agent?") && url.includes("tailLines=50"))).toBe(true);
  }, 60_000);

  it("a steady cluster costs zero writes: resyncs and log refreshes reconcile, nothing changes", async () => {
    const names = ["k0s-worker-1", "k0s-worker-2"];
    await eventually("a quiet cluster", async () => {
      const before = await versions(nh, names);
      await sleep(3000);
      return JSON.stringify(await versions(nh, names)) === JSON.stringify(before);
    }, 30_000);
    const before = {
      apiserver: await apiserverWrites(admin, "networkhealths"), versions: await versions(nh, names), events: (await netmedicEvents(admin)).length,
      statusWrites: await metricValue(controller, "netmedic_status_writes_total"), reconciles: await metricValue(controller, "netmedic_reconcile_duration_seconds_count"),
      logReads: kubelet.requests.length,
    };
    await sleep(25_000);
    expect(await apiserverWrites(admin, "networkhealths")).toBe(before.apiserver);
    expect(await versions(nh, names)).toEqual(before.versions);
    expect((await netmedicEvents(admin)).length).toBe(before.events);
    expect(await metricValue(controller, "netmedic_status_writes_total")).toBe(before.statusWrites);
    // Two resyncs (10 s) of every node happened, and the logs were re-read after their TTL (5 s).
    expect(await metricValue(controller, "netmedic_reconcile_duration_seconds_count")).toBeGreaterThanOrEqual(before.reconciles + 2 * names.length);
    expect(kubelet.requests.length).toBeGreaterThan(before.logReads);
  }, 90_000);

  it("serves /healthz, /readyz and /metrics with the conditions, the APIService availability the real aggregator set, and leadership", async () => {
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedService({ namespace: "kube-system", body: { metadata: { name: "metrics-server" }, spec: { ports: [{ name: "https", port: 443 }] } } });
    await admin.makeApiClient(ApiregistrationV1Api).createAPIService({ body: { metadata: { name: "v1beta1.metrics.k8s.io" }, spec: {
      group: "metrics.k8s.io", version: "v1beta1", groupPriorityMinimum: 100, versionPriority: 100, insecureSkipTLSVerify: true,
      service: { namespace: "kube-system", name: "metrics-server", port: 443 },
    } } });
    const base = `http://127.0.0.1:${controller.port}`;
    expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok\n");
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    // The v1.20 aggregator reports a Service without Endpoints as EndpointsNotFound (verified here).
    const metrics = await eventually("the APIService in /metrics", async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return text.includes('netmedic_apiservice_available{name="v1beta1.metrics.k8s.io"} 0') ? text : undefined;
    });
    expect(metrics).toContain('netmedic_networkhealth_condition{node="k0s-worker-1",type="IPForwarding",status="False",reason="Disabled"} 1');
    expect(metrics).toContain('netmedic_networkhealth_condition{node="k0s-worker-2",type="HostFirewall",status="False",reason="RejectingPodTraffic"} 1');
    expect(metrics).not.toContain('node="lifecycle-1"');
    expect(metrics).toMatch(/^netmedic_is_leader 1$/m);
    expect(metrics).toMatch(/^netmedic_reconcile_duration_seconds_count\{result="ok"\} [1-9]/m);
    for (const name of ["netmedic_remediations_total", "netmedic_watch_restarts_total", "netmedic_status_writes_total"]) expect(metrics).toContain(`# TYPE ${name} counter`);
    const apiService = await admin.makeApiClient(ApiregistrationV1Api).readAPIService({ name: "v1beta1.metrics.k8s.io" });
    expect(apiService.status?.conditions?.[0]).toMatchObject({ type: "Available", status: "False", reason: "EndpointsNotFound" });
  }, 30_000);

  it("keeps the last good config on an invalid ConfigMap update (Warning event, metric) and applies a valid one", async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const update = (text: string) => core.replaceNamespacedConfigMap({ name: "netmedic-config", namespace: "netmedic", body: { metadata: { name: "netmedic-config" }, data: { "config.yaml": text } } });
    await update(`${CONFIG}\nagent: {token: abc}\n`);
    await eventually("the rejected update counted", async () => (await metricValue(controller, "netmedic_config_reload_failures_total")) === 1);
    expect(controller.config().resyncSeconds).toBe(10);
    const warning = await eventually("an InvalidConfig Warning event", async () => (await netmedicEvents(admin)).find((e) => e.reason === "InvalidConfig"));
    expect(warning).toMatchObject({ type: "Warning", involvedObject: { kind: "ConfigMap", name: "netmedic-config", namespace: "netmedic" } });
    expect(warning.message).toBe("invalid config configmap netmedic/netmedic-config: agent.token: a key named \"token\" looks like a credential; netmedic's config must not hold credentials: remove them");
    expect(log.lines.some((line) => line["msg"] === "config update rejected, keeping the last good config")).toBe(true);
    await update(CONFIG.replace("resyncSeconds: 10", "resyncSeconds: 12"));
    await eventually("the valid update applied", () => controller.config().resyncSeconds === 12);
  }, 30_000);
});
