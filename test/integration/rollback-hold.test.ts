/**
 * The controller's side of a rollback (issue 20), on the shared real control plane: an agent
 * reports an action Failed with reason RolledBack (written under the agent's field manager, as the
 * agent writes it) → the controller holds that action on that node (status.remediation.held, one
 * Warning Event, Remediating saying how to clear it) and keeps ordering the node's other actions;
 * the NetworkHealth annotation netmedic.io/clear-rollback=<orderId> → the action is ordered again.
 * The controller runs in-process as ServiceAccount <namespace>/netmedic-controller with deploy/'s RBAC.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { CoreV1Api, PatchStrategy, setHeaderOptions, type CoreV1Event, type KubeConfig } from "@kubernetes/client-node";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { API_GROUP, API_VERSION, FIELD_MANAGER_AGENT, NETWORK_HEALTH_PLURAL, ROLLBACK_CLEAR_ANNOTATION, type ActionResult, type NetworkHealth } from "../../src/api/index.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { deployManifests } from "../support/control-plane/deploy-manifests.js";
import { NO_ROUTE_LINE, k0sBrokenFacts, probe } from "../fixtures/cluster.js";
import { createKonnectivityAgentPod, eventually, memoryLogger, sleep } from "./controller-fixtures.js";
import { leadingControllerSuite } from "./controller-suite.js";

const namespace = uniqueName("netmedic-rollback");
const worker = uniqueName("rolled-back");
const RBAC_FILES = ["deploy/00-namespace.yaml", "deploy/20-rbac-controller.yaml"];
const CONFIG = `
remediation: {orderTimeoutSeconds: 600, staleAfterSeconds: 3600, cooldownSeconds: 1, maxAttempts: 10}
resyncSeconds: 10
`;
const PROBES = [probe("Host", "Konnectivity", "ok")];

/** The k0s worker's facts without the empty pod-interface zone this apiserver build decodes as null. */
function k0sFacts() {
  const facts = k0sBrokenFacts();
  delete facts.firewall?.podInterfaceZone;
  return facts;
}

/** The whole agent-owned status, as the agent applies it (facts, probes, heartbeat and results). */
async function reportResults(kubeConfig: KubeConfig, results: ActionResult[]): Promise<void> {
  const now = new Date().toISOString();
  await new NetworkHealthClient(kubeConfig, FIELD_MANAGER_AGENT).applyStatus(worker, {
    facts: { ...k0sFacts(), collectedAt: now }, probes: PROBES.map((p) => ({ ...p, time: now })), agent: { heartbeatTime: now, version: "test", results },
  });
}

/** Events this file's controller wrote about the worker's NetworkHealth with `reason`. */
async function eventsAbout(kubeConfig: KubeConfig, reason: string): Promise<CoreV1Event[]> {
  const events = await kubeConfig.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: "default" });
  return events.items.filter((e) => e.source?.component === "netmedic-controller" && e.involvedObject.kind === "NetworkHealth"
    && e.involvedObject.name === worker && e.reason === reason);
}

const actionsOf = (health: NetworkHealth | undefined) => health?.status?.remediation?.actions?.map((a) => a.action) ?? [];

describe("a RolledBack result on a real control plane", () => {
  const cluster = getTestCluster();
  const admin = cluster.kubeConfig;
  const manifests = deployManifests(RBAC_FILES, namespace);
  const nh = () => new NetworkHealthClient(admin, "test-reader");
  const log = memoryLogger();

  const suite = leadingControllerSuite({
    admin, kubeconfigPath: cluster.kubeconfigPath, namespace, manifests, config: CONFIG, identity: "controller-rb", logger: log.logger,
    cleanup: async () => {
      await admin.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: `konnectivity-agent-${worker}`, namespace: "kube-system", gracePeriodSeconds: 0 }).catch(() => undefined);
    },
  });
  let { kubelet, nodes } = suite;
  beforeAll(() => {
    ({ kubelet, nodes } = suite);
  });

  it("holds the rolled-back action (condition + one Event), orders the others, and orders it again once cleared", async () => {
    await nodes.create(worker);
    kubelet.logs.set(`kube-system/konnectivity-agent-${worker}`, `${NO_ROUTE_LINE}\n`);
    await createKonnectivityAgentPod(admin, `konnectivity-agent-${worker}`, worker, "192.168.1.41");
    await eventually(`NetworkHealth ${worker}`, () => nh().get(worker));
    await reportResults(admin, []);
    const first = await eventually("the first order", async () => {
      const health = await nh().get(worker);
      return health?.status?.remediation?.phase === "Pending" ? health : undefined;
    });
    const firstOrder = first.status?.remediation?.orderId ?? "";
    expect(actionsOf(first)).toEqual(["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"]);

    const rolledBack: ActionResult = { orderId: firstOrder, action: "OpenHostFirewall", result: "Failed", reason: "RolledBack", time: new Date().toISOString(),
      detail: "RolledBack: the API server did not answer from the node within 120s; undid 2 changes" };
    await reportResults(admin, [rolledBack]);
    const second = await eventually("an order of the other actions", async () => {
      const health = await nh().get(worker);
      const orderId = health?.status?.remediation?.orderId;
      return orderId && orderId !== firstOrder && health?.status?.remediation?.phase === "Pending" ? health : undefined;
    });
    // Bridge netfilter waits for the held firewall (before it, same-node pod traffic would break).
    expect(actionsOf(second)).toEqual(["EnableIPForwarding"]);
    expect(second.status?.remediation?.held).toEqual([{ action: "OpenHostFirewall", orderId: firstOrder, time: rolledBack.time, detail: rolledBack.detail }]);
    const clear = `kubectl annotate networkhealth ${worker} ${ROLLBACK_CLEAR_ANNOTATION}=${firstOrder} --overwrite`;
    expect(second.status?.conditions?.find((c) => c.type === "Remediating")?.message).toContain(clear);
    // A resync (10 s) and the agent's next reports (same results) must not repeat the Event.
    await reportResults(admin, [rolledBack]);
    await sleep(11_000);
    const warnings = await eventsAbout(admin, "RolledBack");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: "Warning" });
    expect(warnings[0]?.message).toContain(clear);
    expect(actionsOf(await nh().get(worker))).toEqual(["EnableIPForwarding"]);

    // A person clears the hold; the order in flight then fails plainly and the next one includes the held action again.
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    await admin.makeApiClient(CustomObjectsApi).patchClusterCustomObject({
      group: API_GROUP, version: API_VERSION, plural: NETWORK_HEALTH_PLURAL, name: worker, body: { metadata: { annotations: { [ROLLBACK_CLEAR_ANNOTATION]: firstOrder } } },
    }, merge);
    await eventually("the hold cleared", async () => ((await nh().get(worker))?.status?.remediation?.held === undefined) || undefined);
    const secondOrder = second.status?.remediation?.orderId ?? "";
    await reportResults(admin, [rolledBack, { orderId: secondOrder, action: "EnableIPForwarding", result: "Failed", time: new Date().toISOString(), detail: "test failure" }]);
    const third = await eventually("an order with the cleared action", async () => {
      const health = await nh().get(worker);
      const orderId = health?.status?.remediation?.orderId;
      return orderId && orderId !== secondOrder && orderId !== firstOrder ? health : undefined;
    });
    expect(actionsOf(third)).toEqual(["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"]);
    expect(await eventsAbout(admin, "RollbackCleared")).toHaveLength(1);
    expect(await eventsAbout(admin, "RolledBack")).toHaveLength(1);
  }, 120_000);
});
