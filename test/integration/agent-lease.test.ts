/**
 * The agent's heartbeat Lease as the controller reads it, on the shared real control plane: a node
 * whose last report is older than the staleness limit stays AgentReporting=True while its Lease
 * netmedic-node-lease/<node> is renewed; renewals of a Reporting node end at the router (counted,
 * no status write); once the renewals stop, the controller's own requeue at the staleness moment
 * turns it Stale (the resync is an hour away), and a renewal then revives it at once. The test plays
 * the agent (its report under the agent's field manager, the Lease as the agent writes it) and uses
 * a 10 s heartbeat with a 12 s limit so the story takes seconds. The controller runs in-process as
 * ServiceAccount <namespace>/netmedic-controller with deploy/'s RBAC less its Lease grant, as under
 * a deploy/ of the previous release: that must not keep it from leading (the Lease watch retries with
 * backoff); it is then granted list/watch of Leases in netmedic-node-lease here (the namespace is
 * the product's fixed one, created if missing and left in place: other files may use it).
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { CoordinationV1Api, CoreV1Api, RbacAuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { AGENT_LEASE_LABELS, AGENT_LEASE_NAMESPACE, FIELD_MANAGER_AGENT, type NetworkHealth } from "../../src/api/index.js";
import type { RunningController } from "../../src/controller/controller.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { deployManifests } from "../support/control-plane/deploy-manifests.js";
import { healthyFacts, probe } from "../fixtures/cluster.js";
import { eventually, memoryLogger, sleep } from "./controller-fixtures.js";
import { leadingControllerSuite } from "./controller-suite.js";

const namespace = uniqueName("netmedic-lease");
const worker = uniqueName("leased");
const leaseReader = uniqueName("netmedic-lease-reader");
const RBAC_FILES = ["deploy/00-namespace.yaml", "deploy/20-rbac-controller.yaml"];
const STALE_AFTER_SECONDS = 12;
const CONFIG = `
remediation: {orderTimeoutSeconds: 600, staleAfterSeconds: ${STALE_AFTER_SECONDS}}
agent: {heartbeatSeconds: 10}
resyncSeconds: 3600
`;

/** Now as a Lease's MicroTime (the apiserver takes exactly six fractional digits). */
const microNow = (): string => new Date().toISOString().replace(/Z$/, "000Z");

/** Renews (creates the first time) the worker's heartbeat Lease as its agent does; returns the renewTime. */
async function renewLease(kubeConfig: KubeConfig): Promise<string> {
  const leases = kubeConfig.makeApiClient(CoordinationV1Api);
  const renewTime = microNow();
  const spec = { holderIdentity: worker, leaseDurationSeconds: STALE_AFTER_SECONDS, renewTime: renewTime as unknown as Date };
  const existing = await leases.readNamespacedLease({ name: worker, namespace: AGENT_LEASE_NAMESPACE }).catch(() => undefined);
  if (existing) await leases.replaceNamespacedLease({ name: worker, namespace: AGENT_LEASE_NAMESPACE, body: { ...existing, spec: { ...existing.spec, ...spec } } });
  else await leases.createNamespacedLease({ namespace: AGENT_LEASE_NAMESPACE, body: { metadata: { name: worker, labels: { ...AGENT_LEASE_LABELS } }, spec } });
  return renewTime;
}

/** Lets the controller's ServiceAccount list and watch the agents' Leases (the grant deploy/ ships for it). */
async function grantLeaseReads(kubeConfig: KubeConfig): Promise<void> {
  await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: AGENT_LEASE_NAMESPACE } } }).catch((error: { code?: number }) => {
    if (error.code !== 409) throw error;
  });
  const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({ namespace: AGENT_LEASE_NAMESPACE, body: { metadata: { name: leaseReader }, rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["list", "watch"] }] } });
  await rbac.createNamespacedRoleBinding({ namespace: AGENT_LEASE_NAMESPACE, body: {
    metadata: { name: leaseReader }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: leaseReader },
    subjects: [{ kind: "ServiceAccount", name: "netmedic-controller", namespace }],
  } });
}

/** The worker's last report, written `secondsAgo` in the past under the agent's field manager. */
async function reportAged(kubeConfig: KubeConfig, secondsAgo: number): Promise<void> {
  const then = new Date(Date.now() - secondsAgo * 1000).toISOString();
  await new NetworkHealthClient(kubeConfig, FIELD_MANAGER_AGENT).applyStatus(worker, {
    facts: { ...healthyFacts(), collectedAt: then }, probes: [{ ...probe("Host", "Konnectivity", "ok"), time: then }], agent: { heartbeatTime: then, version: "test" },
  });
}

/** Sum of a metric's samples whose labels contain `labels`. */
async function metricSum(controller: RunningController, name: string, labels = ""): Promise<number> {
  const text = await controller.metrics.registry.metrics();
  return text.split("\n").filter((line) => (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

const agentReporting = (health: NetworkHealth | undefined) => health?.status?.conditions?.find((c) => c.type === "AgentReporting");

describe("the agent's heartbeat Lease on a real control plane", () => {
  const cluster = getTestCluster();
  const admin = cluster.kubeConfig;
  const manifests = deployManifests(RBAC_FILES, namespace).filter((m) => m.metadata.namespace !== AGENT_LEASE_NAMESPACE);
  const nh = () => new NetworkHealthClient(admin, "test-reader");
  const log = memoryLogger();

  const suite = leadingControllerSuite({
    admin, kubeconfigPath: cluster.kubeconfigPath, namespace, manifests, config: CONFIG, identity: "controller-lease", logger: log.logger,
    cleanup: async () => {
      const ignore = () => undefined;
      await admin.makeApiClient(CoordinationV1Api).deleteNamespacedLease({ name: worker, namespace: AGENT_LEASE_NAMESPACE }).catch(ignore);
      const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
      await rbac.deleteNamespacedRoleBinding({ name: leaseReader, namespace: AGENT_LEASE_NAMESPACE }).catch(ignore);
      await rbac.deleteNamespacedRole({ name: leaseReader, namespace: AGENT_LEASE_NAMESPACE }).catch(ignore);
    },
  });
  let { nodes, controller } = suite;
  beforeAll(() => {
    ({ nodes, controller } = suite);
  });

  it("without the right to read the Leases it still leads and is ready; the Lease watch restarts with backoff on the 403", async () => {
    await eventually("a refused Lease list", () => log.lines.find((line) => line["resource"] === "agent-leases" && String(line["reason"]).startsWith("403")));
    expect(controller.isLeader()).toBe(true);
    expect(controller.isReady()).toBe(true);
    await eventually("the Lease watch retried", async () => (await metricSum(controller, "netmedic_watch_restarts_total", 'resource="agent-leases"')) >= 2 || undefined);
    await grantLeaseReads(admin);
  });

  it("keeps an agent with an old report Reporting while its Lease is renewed, and turns it Stale by its own requeue once renewals stop", async () => {
    await nodes.create(worker);
    await eventually(`NetworkHealth ${worker}`, () => nh().get(worker));
    await renewLease(admin);
    await reportAged(admin, 60);
    const reporting = await eventually("AgentReporting=True on the Lease alone", async () => {
      const condition = agentReporting(await nh().get(worker));
      return condition?.status === "True" ? condition : undefined;
    }, 30_000);
    expect(reporting.reason).toBe("Reporting");

    // Renewals of a Reporting node end at the router: counted, nothing written.
    const [skipped, writes] = [await metricSum(controller, "netmedic_heartbeat_updates_skipped_total", 'resource="agent-leases"'), await metricSum(controller, "netmedic_status_writes_total")];
    let lastRenewal = "";
    for (let i = 0; i < 3; i += 1) {
      await sleep(1000);
      lastRenewal = await renewLease(admin);
    }
    await eventually("three renewals skipped", async () => (await metricSum(controller, "netmedic_heartbeat_updates_skipped_total", 'resource="agent-leases"')) >= skipped + 3 || undefined);
    expect(await metricSum(controller, "netmedic_status_writes_total")).toBe(writes);
    expect(agentReporting(await nh().get(worker))?.status).toBe("True");

    // No more renewals, no report, no resync within the test: only the controller's requeue sees it go stale.
    const stale = await eventually("AgentReporting=False/Stale", async () => {
      const condition = agentReporting(await nh().get(worker));
      return condition?.status === "False" ? condition : undefined;
    }, 40_000);
    expect(stale.reason).toBe("Stale");
    expect(stale.message).toContain(`the netmedic agent's heartbeat Lease ${AGENT_LEASE_NAMESPACE}/${worker} was last renewed at `);
    expect(Date.parse(stale.lastTransitionTime ?? "") - Date.parse(lastRenewal)).toBeGreaterThanOrEqual(STALE_AFTER_SECONDS * 1000);

    // A renewal of a node not judged Reporting wakes its reconcile at once.
    await renewLease(admin);
    const revived = await eventually("AgentReporting=True again", async () => {
      const condition = agentReporting(await nh().get(worker));
      return condition?.status === "True" ? condition : undefined;
    }, 10_000);
    expect(revived.reason).toBe("Reporting");
  }, 150_000);
});
