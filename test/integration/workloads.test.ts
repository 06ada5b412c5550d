/**
 * The controller-owned DaemonSets on a real control plane: SSA-applied idempotently, and the real
 * DaemonSet controller + scheduler place agent and probe pods on every node — including a node
 * already tainted unreachable (the agent must be resident before a node loses the API).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { createReadyNode } from "../support/control-plane/kubelet.js";
import { agentDaemonSet, DEFAULT_PROBE_PORT, probeDaemonSet, probeEndpointsByNode } from "../../src/controller/workloads/workloads.js";
import { DEFAULT_CONFIG } from "../../src/controller/config/config.js";
import { applyDaemonSets } from "../../src/k8s/daemonset-applier.js";

const cluster = getTestCluster();
const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
const namespace = uniqueName("netmedic");
const ready = uniqueName("ds-ready");
const unreachable = uniqueName("ds-unreachable");
const settings = { namespace, image: "ghcr.io/netmedic-io/netmedic:test", agent: DEFAULT_CONFIG.agent, probePort: DEFAULT_PROBE_PORT };

async function podsOf(component: string): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/component=${component}` });
  return list.items;
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    value = await read();
  }
  return value;
}

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await createReadyNode(cluster.kubeConfig, { name: ready });
  await createReadyNode(cluster.kubeConfig, { name: unreachable });
  const taints = [{ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" }, { key: "node.kubernetes.io/unreachable", effect: "NoExecute" }];
  await core.patchNode({ name: unreachable, body: { spec: { taints } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace });
  await Promise.all([ready, unreachable].map((name) => core.deleteNode({ name })));
});

describe("controller-owned DaemonSets", () => {
  it("apply with SSA under netmedic-controller, and re-applying an unchanged spec changes nothing", async () => {
    const [agent] = await applyDaemonSets(cluster.kubeConfig, "netmedic-controller", [agentDaemonSet(settings), probeDaemonSet(settings)]);
    expect(agent?.metadata?.managedFields?.map((f) => f.manager)).toContain("netmedic-controller");
    const [again] = await applyDaemonSets(cluster.kubeConfig, "netmedic-controller", [agentDaemonSet(settings)]);
    // resourceVersion moves with the DaemonSet controller's status writes; the spec (generation) must not.
    expect(again?.metadata?.generation).toBe(agent?.metadata?.generation);
    expect(again?.spec).toEqual(agent?.spec);
  });

  it.each(["agent", "probe"])("the real DaemonSet controller and scheduler place a %s pod on every node, tainted ones included", async (component) => {
    const pods = await waitFor(() => podsOf(component), (items) => [ready, unreachable].every((n) => items.some((p) => p.spec?.nodeName === n)));
    expect(pods.map((p) => p.spec?.nodeName)).toEqual(expect.arrayContaining([ready, unreachable]));
  });

  it("the agent pod is privileged in the host's network and PID namespaces; the probe has no token and no privileges", async () => {
    const [agent] = await podsOf("agent");
    const [probe] = await podsOf("probe");
    expect(agent?.spec).toMatchObject({ hostNetwork: true, hostPID: true, serviceAccountName: "netmedic-agent" });
    expect(agent?.spec?.containers[0]?.securityContext?.privileged).toBe(true);
    expect(agent?.spec?.containers[0]?.args).toEqual(["agent", "--node-name=$(NODE_NAME)", "--host-pid=1", "--heartbeat=300s", "--state-dir=/var/lib/netmedic"]);
    // The order checkpoint's directory on the node (docs/architecture.md §4 "Checkpoint and dead-man switch").
    expect(agent?.spec?.volumes).toContainEqual(expect.objectContaining({ name: "state", hostPath: { path: "/var/lib/netmedic", type: "DirectoryOrCreate" } }));
    expect(agent?.spec?.containers[0]?.volumeMounts).toContainEqual(expect.objectContaining({ name: "state", mountPath: "/var/lib/netmedic" }));
    expect(agent?.spec?.containers[0]?.env).toContainEqual({ name: "NODE_OPTIONS", value: "--jitless" });
    expect(probe?.spec?.hostNetwork).toBeFalsy();
    expect(probe?.spec?.automountServiceAccountToken).toBe(false);
    expect(probe?.spec?.containers[0]?.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
  });

  it("a config change (new image) rolls out through the same apply", async () => {
    const apps = cluster.kubeConfig.makeApiClient(AppsV1Api);
    await applyDaemonSets(cluster.kubeConfig, "netmedic-controller", [agentDaemonSet({ ...settings, image: "ghcr.io/netmedic-io/netmedic:next" })]);
    const daemonSet = await apps.readNamespacedDaemonSet({ name: "netmedic-agent", namespace });
    expect(daemonSet.spec?.template.spec?.containers[0]?.image).toBe("ghcr.io/netmedic-io/netmedic:next");
  });
});

describe("probeEndpointsByNode", () => {
  it("maps running probe pods to podIP:port and ignores the rest", () => {
    const pod = (node: string, ip: string | undefined, phase = "Running", component = "probe") =>
      ({ metadata: { labels: { "app.kubernetes.io/component": component } }, spec: { nodeName: node }, status: { podIP: ip, phase } });
    expect(probeEndpointsByNode([pod("a", "10.244.0.7"), pod("b", "fd00::7"), pod("c", undefined), pod("d", "10.1.1.1", "Pending"), pod("e", "10.1.1.2", "Running", "agent")], 9465))
      .toEqual({ a: "10.244.0.7:9465", b: "[fd00::7]:9465" });
  });
});
