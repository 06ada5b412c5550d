// The k3s etcd-only incident on a real node (docs/architecture.md §8.2): the node's real kubelet
// reaches the API through the k3s agent's client load balancer, which follows config.yaml's
// `server:`. Pinned to an etcd-only server (a TLS stand-in answering `apiserver disabled`), the
// kubelet loses the API and the real node-lifecycle controller marks the Node NotReady. netmedic,
// installed with `kubectl apply -k`, keeps reaching the API over the host network, re-points the
// agent to the live apiserver from default/kubernetes and restarts k3s-agent: the kubelet comes back.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { CoordinationV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import { createReadyNode, nodeReadyStatus, startLeaseHeartbeat, type Heartbeat } from "../support/control-plane/kubelet.js";
import type { NetworkHealth } from "../../src/api/index.js";
import { K3S_PATHS } from "../support/lab/index.js";
import { hasCondition, NetworkHealthFollower } from "../support/e2e/networkhealth.js";
import { eventually } from "../support/e2e/processes.js";
import { machineState, startTlsServer } from "../lab/agent-support.js";
import { API_ADDRESS, API_PORT } from "../support/real-node/api-path.js";
import { realNodeMachineState } from "../support/real-node/inspect.js";
import { K3S_AGENT_LB, restartK3sAgent, startK3sAgentLoadBalancer } from "../support/real-node/k3s-agent.js";
import { startRealCluster, type RealCluster } from "../support/real-node/real-cluster.js";
import { kubectl, OVERLAY } from "../support/real-node/workloads.js";

const STORY_MS = 180_000;
const WORKER = "rn-k3s-agent";
const ETCD_NODE = "rn-k3s-etcd";
const TOKEN = "K10real0node0123456789abcdef::server:RealNode-S3cret-Passw0rd";
const SECRET_PARTS = ["RealNode-S3cret-Passw0rd", "K10real0node"];
const LIVE = `https://${API_ADDRESS}:${API_PORT}`;
/** When the re-point succeeded, by the agent's own result. */
const healedAt = (h: NetworkHealth): string => h.status?.agent?.results?.find((r) => r.action === "RepointAPIServerEndpoint")?.time ?? "";

describe("real node: a k3s agent's kubelet pinned to an etcd-only server, re-pointed by netmedic's agent pod", () => {
  let cluster: RealCluster;
  let follower: NetworkHealthFollower;
  let etcdOnly: string;
  let pinnedConfig: string;
  let pinnedAt: number;
  let before: Record<string, unknown>;
  const servers: ChildProcess[] = [];
  const heartbeats: Heartbeat[] = [];
  const lab = () => cluster.nodes[0]!.lab;
  const core = () => cluster.kubeConfig.makeApiClient(CoreV1Api);
  const runningOnWorker = async (component: string): Promise<V1Pod | undefined> =>
    (await core().listNamespacedPod({ namespace: "netmedic", labelSelector: `app.kubernetes.io/component=${component}`, fieldSelector: `spec.nodeName=${WORKER}` }))
      .items.find((p) => p.status?.phase === "Running");

  beforeAll(async () => {
    before = await realNodeMachineState(await machineState());
    // Installed through the live API; the node registers and runs netmedic before it gets pinned.
    cluster = await startRealCluster([{ name: WORKER, lab: { firewalld: false, ipForward: 1, bridgeNfCallIptables: 1 }, ipMasq: true, kubeletServer: K3S_AGENT_LB,
      prepare: async (l) => {
        await l.writeK3sHostRoot({ server: LIVE, token: TOKEN });
        await startK3sAgentLoadBalancer(l);
      } }]);
    etcdOnly = lab().addresses.control;
    servers.push(await startTlsServer(lab(), "control", etcdOnly, 6443, 503, "apiserver disabled\n"));
    // The etcd-only server as the cluster sees it (k3s servers are not this layer's subject): a Node with
    // k3s' etcd-only role label and taint, kept Ready by a Lease heartbeat.
    await createReadyNode(cluster.kubeConfig, { name: ETCD_NODE, internalIP: etcdOnly, labels: { "node-role.kubernetes.io/etcd": "true" } });
    await core().patchNode({ name: ETCD_NODE, body: { spec: { taints: [{ key: "node-role.kubernetes.io/etcd", value: "true", effect: "NoExecute" }] } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    heartbeats.push(startLeaseHeartbeat(cluster.kubeConfig, ETCD_NODE));
    const applied = await kubectl(cluster.plane.kubeconfigPath, "apply", "-k", OVERLAY);
    if (!applied.stdout.includes("deployment.apps/netmedic-controller")) throw new Error(`kubectl apply -k: ${applied.stderr}`);
    for (const component of ["controller", "agent", "probe"]) await eventually(`netmedic ${component} Running on ${WORKER}`, () => runningOnWorker(component), STORY_MS, 1000);
    follower = new NetworkHealthFollower(cluster.kubeConfig, WORKER).start(1000);
    await follower.waitFor("the first verdict, Ready=True", (h) => hasCondition(h, "Ready", "True"), STORY_MS);
    // The incident: the agent's configuration now names the etcd-only server, and k3s-agent restarts.
    await lab().writeK3sHostRoot({ server: `https://${etcdOnly}:6443`, token: TOKEN });
    pinnedConfig = await lab().readFile(K3S_PATHS.config);
    follower.stop();
    follower.start(500);
    pinnedAt = Date.now();
    await restartK3sAgent(lab());
  }, 420_000);

  afterAll(async () => {
    follower?.stop();
    for (const heartbeat of heartbeats) heartbeat.stop();
    for (const server of servers) server.kill("SIGKILL");
    await cluster?.stop();
  }, 120_000);

  it("the real kubelet, behind the k3s agent's load balancer now pinned to the etcd-only server, loses the API", async () => {
    const log = cluster.nodes[0]!.logs[`kubelet-${WORKER}`] ?? "";
    const failing = await eventually("the kubelet failing against the etcd-only server", () =>
      readFileSync(log, "utf8").split("\n").find((l) => l.includes(`${K3S_AGENT_LB}/`) && l.includes("x509") && Date.parse(`${new Date().getUTCFullYear()}-${l.slice(1, 3)}-${l.slice(3, 5)}T${l.slice(6, 18)}Z`) >= pinnedAt), 60_000, 500);
    expect(failing).toMatch(/^[EW]\d{4} /);
  }, 90_000);

  it("netmedic, still on the API over the host network, diagnoses EtcdOnlyEndpoint and orders RepointAPIServerEndpoint to the live apiserver", async () => {
    // netmedic may heal before the node-lifecycle controller's 40 s grace ends: look through every version seen.
    const ordered = await eventually("a re-point order", () => follower.transitions.map((t) => t.health)
      .find((h) => (h?.status?.remediation?.actions ?? []).some((a) => a.action === "RepointAPIServerEndpoint")), STORY_MS, 500);
    expect(follower.transitions.some((t) => hasCondition(t.health, "APIServerEndpoint", "False", "EtcdOnlyEndpoint"))).toBe(true);
    expect(ordered.status?.diagnosis?.evidence?.join("\n")).toContain("apiserver disabled (HTTP 503)");
    expect(ordered.status?.remediation?.actions).toEqual([expect.objectContaining({ action: "RepointAPIServerEndpoint", server: LIVE })]);
  }, STORY_MS);

  it("the agent pod re-points config.yaml (backup kept, LB state removed) and restarts k3s-agent; the real kubelet is back and the Node Ready", async () => {
    const healed = await follower.waitFor("Ready=True and Remediating Succeeded", (h) => hasCondition(h, "Ready", "True", "Healthy") && hasCondition(h, "Remediating", "False", "Succeeded"), STORY_MS);
    expect(healed.status?.history?.map((h) => [h.action, h.result])).toEqual([["RepointAPIServerEndpoint", "Succeeded"]]);
    expect(await lab().readFile(K3S_PATHS.config)).toBe(pinnedConfig.replace(`server: https://${etcdOnly}:6443`, `server: ${LIVE}`));
    expect(readdirSync(lab().scratchPathOf(dirname(K3S_PATHS.config))).filter((f) => f.startsWith("config.yaml.netmedic-bak-"))).toHaveLength(1);
    expect((await lab().execIn("worker", ["test", "-e", K3S_PATHS.loadBalancer])).code).toBe(1);
    // Two restarts: the incident's, then the agent's.
    expect((await lab().systemctlLog()).filter((c) => c.verb === "restart").map((c) => c.units)).toEqual([["k3s-agent"], ["k3s-agent"]]);
    // The kubelet is back: it renews its Lease again, through the re-pointed load balancer.
    await eventually("the kubelet's Lease renewed after the re-point", async () => {
      const lease = await cluster.kubeConfig.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: WORKER, namespace: "kube-node-lease" });
      return new Date(lease.spec?.renewTime ?? 0).getTime() > Date.parse(healedAt(healed)) ? true : undefined;
    }, 60_000, 1000);
    expect(await nodeReadyStatus(cluster.kubeConfig, WORKER)).toBe("True");
  }, STORY_MS + 90_000);

  it("the join token never leaks: not in the NetworkHealth, not in the agent's or the controller's logs", async () => {
    const health = JSON.stringify(await follower.read());
    const logs = await Promise.all(["agent", "controller"].map(async (c) => {
      const pod = await runningOnWorker(c);
      return (await kubectl(cluster.plane.kubeconfigPath, "logs", "-n", "netmedic", pod?.metadata?.name ?? "")).stdout;
    }));
    expect(logs.every((l) => l.length > 0)).toBe(true);
    for (const secret of SECRET_PARTS) for (const text of [health, ...logs]) expect(text).not.toContain(secret);
  }, 60_000);

  it("this machine's own network, sysctls (the kubelet's included) and cgroups never changed", async () => {
    for (const server of servers) server.kill("SIGKILL");
    await cluster.stop();
    expect(await realNodeMachineState(await machineState())).toEqual(before);
  }, 120_000);
});
