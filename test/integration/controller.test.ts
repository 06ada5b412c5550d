/**
 * netmedic controller against the shared real control plane (etcd, kube-apiserver with the
 * aggregator, controller-manager with the garbage collector, scheduler). The controller runs
 * in-process as ServiceAccount <namespace>/netmedic-controller with exactly the RBAC of deploy/,
 * moved into a namespace of its own; its Nodes have unique names and a Lease heartbeat. What the
 * shared apiserver counts for everyone is scoped to this file's objects (the audit log).
 * The tests tell one cluster's story in order: each builds on the objects the previous one made.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { ApiregistrationV1Api, CoreV1Api, type CoreV1Event, type KubeConfig } from "@kubernetes/client-node";
import { FIELD_MANAGER_AGENT, PROBE_TARGETS_ANNOTATION, type NetworkHealth } from "../../src/api/index.js";
import type { RunningController } from "../../src/controller/controller.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { decodeProbeTargets, logMessageOf } from "../../src/core/index.js";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { deployManifests } from "../support/control-plane/deploy-manifests.js";
import { NO_ROUTE_LINE, healthyFacts, k0sBrokenFacts, probe } from "../fixtures/cluster.js";
import { auditedWrites, createKonnectivityAgentPod, eventually, memoryLogger, reportAsAgent, sleep } from "./controller-fixtures.js";
import { leadingControllerSuite } from "./controller-suite.js";

/** The k0s worker's facts (docs/architecture.md §8.1). The pod interface is in no firewalld zone: the field is left out, because this
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

const namespace = uniqueName("netmedic-controller");
const lifecycle = uniqueName("lifecycle");
const workers = [uniqueName("k0s-worker-1"), uniqueName("k0s-worker-2")];
const [worker1, worker2] = workers as [string, string];
const RBAC_FILES = ["deploy/00-namespace.yaml", "deploy/20-rbac-controller.yaml"];

/**
 * Events written by this file's controller (it reports as netmedic-controller) about this file's
 * objects: other files' controllers on the shared plane write Events too.
 */
async function netmedicEvents(kubeConfig: KubeConfig): Promise<CoreV1Event[]> {
  const events = await kubeConfig.makeApiClient(CoreV1Api).listEventForAllNamespaces();
  const ours = (event: CoreV1Event) => event.involvedObject.namespace === namespace || [lifecycle, ...workers].includes(event.involvedObject.name ?? "");
  return events.items.filter((event) => event.source?.component === "netmedic-controller" && ours(event));
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

describe("netmedic controller on a real control plane", () => {
  const cluster = getTestCluster();
  const admin = cluster.kubeConfig;
  const manifests = deployManifests(RBAC_FILES, namespace);
  const log = memoryLogger();
  const nh = () => new NetworkHealthClient(admin, "test-reader");

  const suite = leadingControllerSuite({
    admin, kubeconfigPath: cluster.kubeconfigPath, namespace, manifests, config: CONFIG, identity: "controller-a", logger: log.logger,
    cleanup: async () => {
      const core = admin.makeApiClient(CoreV1Api);
      const gone = () => undefined;
      await Promise.all(workers.map((worker) => core.deleteNamespacedPod({ name: `konnectivity-agent-${worker}`, namespace: "kube-system", gracePeriodSeconds: 0 }).catch(gone)));
      await admin.makeApiClient(ApiregistrationV1Api).deleteAPIService({ name: "v1beta1.metrics.k8s.io" }).catch(gone);
      await core.deleteNamespacedService({ name: "metrics-server", namespace: "kube-system" }).catch(gone);
    },
  });
  let { kubelet, nodes, controller } = suite;
  beforeAll(() => {
    ({ kubelet, nodes, controller } = suite);
  });

  it("creates one NetworkHealth per Node, owned by it, and the real garbage collector removes it with the Node", async () => {
    const uid = await nodes.create(lifecycle);
    const created = await eventually(`NetworkHealth ${lifecycle}`, () => nh().get(lifecycle));
    expect(created.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Node", name: lifecycle, uid, controller: true, blockOwnerDeletion: true }]);
    expect(created.spec ?? {}).toEqual({});
    await nodes.remove(lifecycle);
    await eventually(`garbage collection of ${lifecycle}`, async () => (await nh().get(lifecycle)) === undefined, 60_000);
  }, 90_000);

  it("a new node whose agent reports promptly costs the controller two writes: the create carrying the probe targets, then the verdict", async () => {
    const name = uniqueName("two-writes");
    const controllerUser = `system:serviceaccount:${namespace}:netmedic-controller`;
    await nodes.create(name);
    const created = await eventually(`NetworkHealth ${name}`, () => nh().get(name));
    expect(decodeProbeTargets(created.metadata.annotations?.[PROBE_TARGETS_ANNOTATION]).targets).toBeDefined();
    expect(created.status?.conditions).toBeUndefined();
    await reportAsAgent(admin, name, healthyFacts(), [probe("Host", "Konnectivity", "ok")]);
    const verdict = await eventually(`the verdict on ${name}`, async () => {
      const health = await nh().get(name);
      return health?.status?.conditions?.length ? health : undefined;
    });
    expect(conditionsOf(verdict)).toMatchObject({ AgentReporting: "True/Reporting", IPForwarding: "True/Enabled" });
    await sleep(3000);
    expect(auditedWrites(cluster.auditLogPath, "networkhealths", [name], controllerUser)).toBe(2);
    await nodes.remove(name);
  }, 60_000);

  it("a heartbeat-only report ends at its watch event: no reconcile of it, no status write, no Event; a changed report is reconciled", async () => {
    const name = uniqueName("heartbeats");
    await nodes.create(name);
    await eventually(`NetworkHealth ${name}`, () => nh().get(name));
    const probes = [probe("Host", "Konnectivity", "ok")];
    await reportAsAgent(admin, name, healthyFacts(), probes);
    const verdict = await eventually(`the verdict on ${name}`, async () => {
      const health = await nh().get(name);
      return health?.status?.conditions?.length ? health : undefined;
    });
    expect(conditionsOf(verdict)).toMatchObject({ AgentReporting: "True/Reporting" });
    await sleep(1500);
    const [skipped, writes, events] = [await metricValue(controller, "netmedic_heartbeat_updates_skipped_total"), await metricValue(controller, "netmedic_status_writes_total"), (await netmedicEvents(admin)).length];
    for (let n = 0; n < 3; n += 1) {
      await sleep(1100);
      await reportAsAgent(admin, name, healthyFacts(), probes);
    }
    await eventually("three heartbeats skipped", async () => (await metricValue(controller, "netmedic_heartbeat_updates_skipped_total")) >= skipped + 3 || undefined);
    expect(await metricValue(controller, "netmedic_status_writes_total")).toBe(writes);
    expect((await netmedicEvents(admin)).length).toBe(events);
    expect((await nh().get(name))?.metadata.resourceVersion).not.toBe(verdict.metadata.resourceVersion);
    // A report whose content changed (here only the agent's version) is not a heartbeat: it goes to the queue.
    const now = new Date().toISOString();
    await new NetworkHealthClient(admin, FIELD_MANAGER_AGENT).applyStatus(name, {
      facts: { ...healthyFacts(), collectedAt: now }, probes: probes.map((p) => ({ ...p, time: now })), agent: { heartbeatTime: now, version: "test-2" },
    });
    await sleep(2000);
    expect(await metricValue(controller, "netmedic_heartbeat_updates_skipped_total")).toBe(skipped + 3);
    await nodes.remove(name);
  }, 60_000);

  it("diagnoses the k0s incident from the real objects: pod args, pods/log, agent facts; orders at most maxConcurrent nodes", async () => {
    for (const worker of workers) {
      await nodes.create(worker);
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
      expect(decodeProbeTargets(health.metadata.annotations?.[PROBE_TARGETS_ANNOTATION]).targets?.konnectivity).toEqual(["192.168.1.41:8132"]);
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
    expect(kubelet.requests.some((url) => url.startsWith(`/containerLogs/kube-system/konnectivity-agent-${worker1}/konnectivity-agent?`) && url.includes("tailLines=50"))).toBe(true);
  }, 60_000);

  it("a steady cluster costs zero writes: resyncs and log refreshes reconcile, nothing changes", async () => {
    const names = workers;
    await eventually("a quiet cluster", async () => {
      const before = await versions(nh, names);
      await sleep(3000);
      return JSON.stringify(await versions(nh, names)) === JSON.stringify(before);
    }, 30_000);
    const before = {
      apiserver: auditedWrites(cluster.auditLogPath, "networkhealths", names), versions: await versions(nh, names), events: (await netmedicEvents(admin)).length,
      statusWrites: await metricValue(controller, "netmedic_status_writes_total"), reconciles: await metricValue(controller, "netmedic_reconcile_duration_seconds_count"),
      logReads: kubelet.requests.length,
    };
    await sleep(25_000);
    expect(auditedWrites(cluster.auditLogPath, "networkhealths", names)).toBe(before.apiserver);
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
    expect(metrics).toContain(`netmedic_networkhealth_condition{node="${worker1}",type="IPForwarding",status="False",reason="Disabled"} 1`);
    expect(metrics).toContain(`netmedic_networkhealth_condition{node="${worker2}",type="HostFirewall",status="False",reason="RejectingPodTraffic"} 1`);
    expect(metrics).not.toContain(`node="${lifecycle}"`);
    expect(metrics).toMatch(/^netmedic_is_leader 1$/m);
    expect(metrics).toMatch(/^netmedic_reconcile_duration_seconds_count\{result="ok"\} [1-9]/m);
    for (const name of ["netmedic_remediations_total", "netmedic_watch_restarts_total", "netmedic_status_writes_total"]) expect(metrics).toContain(`# TYPE ${name} counter`);
    // Restart counters exist at 0 per watched resource before any restart (increase() needs the 0).
    for (const resource of ["nodes", "apiservices", "endpoints", "networkhealths"]) expect(metrics).toContain(`netmedic_watch_restarts_total{resource="${resource}"} 0`);
    const apiService = await admin.makeApiClient(ApiregistrationV1Api).readAPIService({ name: "v1beta1.metrics.k8s.io" });
    expect(apiService.status?.conditions?.[0]).toMatchObject({ type: "Available", status: "False", reason: "EndpointsNotFound" });
  }, 30_000);

  it("keeps the last good config on an invalid ConfigMap update (Warning event, metric) and applies a valid one", async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const update = (text: string) => core.replaceNamespacedConfigMap({ name: "netmedic-config", namespace, body: { metadata: { name: "netmedic-config" }, data: { "config.yaml": text } } });
    await update(`${CONFIG}\nagent: {token: abc}\n`);
    await eventually("the rejected update counted", async () => (await metricValue(controller, "netmedic_config_reload_failures_total")) === 1);
    expect(controller.config().resyncSeconds).toBe(10);
    const warning = await eventually("an InvalidConfig Warning event", async () => (await netmedicEvents(admin)).find((e) => e.reason === "InvalidConfig"));
    expect(warning).toMatchObject({ type: "Warning", involvedObject: { kind: "ConfigMap", name: "netmedic-config", namespace } });
    expect(warning.message).toBe(`invalid config configmap ${namespace}/netmedic-config: agent.token: a key named "token" looks like a credential; netmedic's config must not hold credentials: remove them`);
    expect(log.lines.some((line) => line["msg"] === "config update rejected, keeping the last good config")).toBe(true);
    await update(CONFIG.replace("resyncSeconds: 10", "resyncSeconds: 12"));
    await eventually("the valid update applied", () => controller.config().resyncSeconds === 12);
  }, 30_000);
});
