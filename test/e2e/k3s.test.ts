// The k3s etcd-only incident end to end (docs/architecture.md §8.2): the shared control plane (upstream 40 s
// node-monitor grace: the worker really goes NotReady, so this file waits for it), an etcd-only server (a TLS stand-in in the lab's control netns answering `apiserver
// disabled`) and a live apiserver (another stand-in) listed in default/kubernetes Endpoints, and the
// lab worker as a k3s agent pinned to the etcd-only server: its Node is NotReady. The real agent
// and controller re-point it, the k3s-agent restart makes the Node heartbeat again, the
// NetworkHealth ends Ready=True — and the join token never leaks anywhere.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CoreV1Api, type V1Endpoints } from "@kubernetes/client-node";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { createReadyNode, nodeReadyStatus, startLeaseHeartbeat, type Heartbeat } from "../support/control-plane/kubelet.js";
import { K3S_PATHS, startLab, type Lab } from "../support/lab/index.js";
import { deleteObjects, e2eConfig, removeE2EDir, startControllerProcess, type E2EEnv } from "../support/e2e/controller.js";
import { hasCondition, NetworkHealthFollower } from "../support/e2e/networkhealth.js";
import { eventually, netmedicArgv, startProcess, type RunningProcess } from "../support/e2e/processes.js";
import { K3S_AGENT_STATE, startK3sAgentStandIn, type K3sAgentStandIn } from "../support/e2e/standins.js";
import { machineState, startTlsServer } from "../lab/agent-support.js";

const STORY_MS = 90_000;
/** The shared plane's node-monitor grace (upstream's 40 s) plus its 2 s monitor period and slack. */
const NOT_READY_MS = 90_000;
const TOKEN = "K10e2ec0ffee0123456789abcdef::server:E2E-S3cret-Passw0rd";
const SECRET_PARTS = ["E2E-S3cret-Passw0rd", "K10e2ec0ffee"];

describe("e2e: a k3s agent pinned to an etcd-only server is re-pointed and its Node turns Ready", () => {
  const cluster = getTestCluster();
  const worker = uniqueName("k3s-agent");
  const serverNodes = [uniqueName("k3s-etcd"), uniqueName("k3s-server")] as const;
  const namespace = uniqueName("netmedic-e2e");
  const env: E2EEnv = { kubeConfig: cluster.kubeConfig, kubeconfigPath: cluster.kubeconfigPath, dir: mkdtempSync(join(tmpdir(), "netmedic-e2e-k3s-")) };
  /** default/kubernetes before this file replaced it (undefined: there was none), restored afterwards. */
  let originalEndpoints: V1Endpoints | undefined;
  let lab: Lab;
  let live: string;
  let etcdOnly: string;
  let originalConfig: string;
  let k3sAgent: K3sAgentStandIn;
  let agent: RunningProcess;
  let controller: RunningProcess;
  let follower: NetworkHealthFollower;
  let before: Record<string, unknown>;
  const servers: ChildProcess[] = [];
  const heartbeats: Heartbeat[] = [];

  beforeAll(async () => {
    before = await machineState();
    const kubeConfig = cluster.kubeConfig;
    lab = await startLab({ firewalld: false, ipForward: 1, bridgeNfCallIptables: 1, controlPorts: [8132] });
    etcdOnly = lab.addresses.control;
    live = etcdOnly.replace(/\.1$/, ".3");
    expect((await lab.execIn("control", ["ip", "addr", "add", `${live}/24`, "dev", "eth0"])).code).toBe(0);
    servers.push(await startTlsServer(lab, "control", etcdOnly, 6443, 503, "apiserver disabled\n"));
    servers.push(await startTlsServer(lab, "control", live, 6443, 200, '{"major":"1","minor":"28","gitVersion":"v1.28.15+k3s1"}'));
    // The servers as the cluster sees them: an etcd-only Node and a control-plane Node, both heartbeating.
    const etcdNode = { name: serverNodes[0], internalIP: etcdOnly, labels: { "node-role.kubernetes.io/etcd": "true" } };
    const serverNode = { name: serverNodes[1], internalIP: live, labels: { "node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true" } };
    for (const spec of [etcdNode, serverNode]) {
      await createReadyNode(kubeConfig, spec);
      heartbeats.push(startLeaseHeartbeat(kubeConfig, spec.name));
    }
    // The endpoint reconciler is off: default/kubernetes Endpoints name the live apiserver, as k3s' would.
    const core = kubeConfig.makeApiClient(CoreV1Api);
    originalEndpoints = await core.readNamespacedEndpoints({ name: "kubernetes", namespace: "default" }).catch(() => undefined);
    const endpoints = { metadata: { name: "kubernetes", namespace: "default" }, subsets: [{ addresses: [{ ip: live }], ports: [{ name: "https", port: 6443, protocol: "TCP" }] }] };
    await core.createNamespacedEndpoints({ namespace: "default", body: endpoints })
      .catch(() => core.replaceNamespacedEndpoints({ name: "kubernetes", namespace: "default", body: endpoints }));
    // The worker: a k3s agent that joined through the etcd-only server, its Node NotReady.
    await lab.writeK3sHostRoot({ server: `https://${etcdOnly}:6443`, token: TOKEN });
    originalConfig = await lab.readFile(K3S_PATHS.config);
    const workerSpec = { name: worker, internalIP: lab.addresses.workerUplink, annotations: { "k3s.io/node-args": JSON.stringify(["agent", "--server", `https://${etcdOnly}:6443`, "--token", "********"]) } };
    await createReadyNode(kubeConfig, workerSpec);
    k3sAgent = await startK3sAgentStandIn(lab, kubeConfig, workerSpec);
    await eventually("the worker Node to turn NotReady", async () => (await nodeReadyStatus(kubeConfig, worker)) === "Unknown", NOT_READY_MS, 500);
    agent = startProcess("agent", netmedicArgv("agent", "--node-name", worker, "--host-pid", String(lab.workerPid), "--kubeconfig", cluster.kubeconfigPath,
      "--interval", "1s", "--heartbeat", "5s", "--probe-timeout", "2s", "--log-level", "trace"), env.dir);
    controller = await startControllerProcess(env, namespace, e2eConfig());
    follower = new NetworkHealthFollower(kubeConfig, worker).start();
  }, 240_000 + NOT_READY_MS);

  afterAll(async () => {
    follower?.stop();
    k3sAgent?.stop();
    for (const heartbeat of heartbeats) heartbeat.stop();
    await controller?.stop();
    await agent?.stop();
    for (const server of servers) server.kill("SIGKILL");
    await lab?.stop();
    await restoreObjects();
    removeE2EDir(env);
  }, 60_000);

  /** Deletes this file's Nodes and namespace and puts default/kubernetes back as it was. */
  async function restoreObjects(): Promise<void> {
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    await deleteObjects(env.kubeConfig, [worker, ...serverNodes]);
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    await core.deleteNamespacedEndpoints({ name: "kubernetes", namespace: "default" }).catch(() => undefined);
    if (originalEndpoints) {
      const { metadata, subsets } = originalEndpoints;
      await core.createNamespacedEndpoints({ namespace: "default", body: { metadata: { name: metadata?.name, namespace: "default", labels: metadata?.labels }, subsets } });
    }
  }

  it("the k3s agent stand-in is stuck: its configured server answers `apiserver disabled`, so its Node never heartbeats", async () => {
    const state = await k3sAgent.state();
    expect(state).toMatchObject({ server: `https://${etcdOnly}:6443`, ready: false });
    expect(state?.reply).toContain("apiserver disabled");
    expect(k3sAgent.heartbeatStarts()).toBe(0);
    expect(await nodeReadyStatus(env.kubeConfig, worker)).toBe("Unknown");
  });

  it("diagnoses EtcdOnlyEndpoint and orders RepointAPIServerEndpoint to the live apiserver from default/kubernetes", async () => {
    const ordered = await follower.waitFor("a re-point order", (h) => (h.status?.remediation?.actions ?? []).some((a) => a.action === "RepointAPIServerEndpoint"), STORY_MS);
    const diagnosed = follower.transitions.find((t) => hasCondition(t.health, "APIServerEndpoint", "False", "EtcdOnlyEndpoint"));
    expect(diagnosed).toBeDefined();
    expect(diagnosed?.health?.status?.diagnosis?.rootCause).toBe("EtcdOnlyEndpoint");
    // The order rests on the agent's own evidence: its probe of the configured server got `apiserver disabled`.
    expect(ordered.status?.diagnosis?.evidence?.join("\n")).toContain("apiserver disabled (HTTP 503)");
    expect(ordered.status?.remediation?.actions).toEqual([expect.objectContaining({ action: "RepointAPIServerEndpoint", server: `https://${live}:6443` })]);
  }, STORY_MS);

  it("re-points the config (backup kept, comments intact, LB state removed), restarts k3s-agent, the Node heartbeats again, NetworkHealth Ready=True", async () => {
    const healed = await follower.waitFor("Ready=True and Remediating Succeeded", (h) => hasCondition(h, "Ready", "True", "Healthy") && hasCondition(h, "Remediating", "False", "Succeeded"), STORY_MS);
    expect(hasCondition(healed, "APIServerEndpoint", "True", "Healthy")).toBe(true);
    expect(healed.status?.history?.map((h) => [h.action, h.result])).toEqual([["RepointAPIServerEndpoint", "Succeeded"]]);
    const config = await lab.readFile(K3S_PATHS.config);
    expect(config).toBe(originalConfig.replace(`server: https://${etcdOnly}:6443`, `server: https://${live}:6443`));
    expect(config).toContain("# Joined through this server at install time");
    const dir = lab.scratchPathOf(dirname(K3S_PATHS.config));
    expect(readdirSync(dir).filter((f) => f.startsWith("config.yaml.netmedic-bak-"))).toHaveLength(1);
    expect((await lab.execIn("worker", ["test", "-e", K3S_PATHS.loadBalancer])).code).toBe(1);
    expect((await lab.systemctlLog()).filter((c) => c.verb === "restart").map((c) => c.units)).toEqual([["k3s-agent"]]);
    expect(await k3sAgent.state()).toMatchObject({ server: `https://${live}:6443`, ready: true });
    expect(k3sAgent.heartbeatStarts()).toBe(1);
    expect(await nodeReadyStatus(env.kubeConfig, worker)).toBe("True");
  }, STORY_MS);

  it("the token never appears in any status, event, or the output of any process", async () => {
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const everything = [
      JSON.stringify(await follower.read()),
      JSON.stringify(follower.transitions),
      JSON.stringify((await core.listEventForAllNamespaces()).items),
      JSON.stringify(await core.readNode({ name: worker })),
      agent.output(), controller.output(), await lab.readFile(K3S_AGENT_STATE),
    ].join("\n");
    expect(agent.output()).toContain('"msg":"order received"');
    expect(controller.output()).toContain('"msg":"status applied"');
    for (const secret of SECRET_PARTS) expect(everything).not.toContain(secret);
    expect(await lab.readFile(K3S_PATHS.config)).toContain(`token: ${TOKEN}`);
  }, 30_000);

  it("this machine's own files and network never changed", async () => {
    expect(await agent.stop()).toBe(0);
    expect(await machineState()).toEqual(before);
  }, 30_000);
});
