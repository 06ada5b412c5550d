// The agent against the real kube-apiserver (shared control plane) with the node lab as its host:
// it waits for the controller's NetworkHealth (watching it, as in production), reports facts/probes/heartbeat by server-side apply
// under netmedic-agent without touching the controller's fields, executes an order read from the
// object, and a restarted agent never executes it again. Its identity has exactly deploy/'s RBAC.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { FIELD_MANAGER_AGENT, FIELD_MANAGER_CONTROLLER, PROBE_TARGETS_ANNOTATION, type NetworkHealth, type ProbeTargets } from "../../src/api/index.js";
import { encodeProbeTargets } from "../../src/core/index.js";
import { AgentApiClient } from "../../src/k8s/light/agent-api-client.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { createAgent } from "../../src/agent/main.js";
import { WatchedNetworkHealthStore } from "../../src/agent/watched-store.js";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { applyCrds } from "../support/control-plane/crds.js";
import { startLab, type Lab } from "../support/lab/index.js";
import { captureLogger } from "./agent-support.js";
import { agentIdentity, tokenOf, writeKubeconfig } from "./agent-identity.js";

async function eventually<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("agent reporting to a real kube-apiserver, host = node lab", () => {
  const cluster = getTestCluster();
  const node = uniqueName("lab-node");
  let lab: Lab;
  let agentConfig: KubeConfig;
  let agentKubeconfig: string;
  const dir = mkdtempSync(join(tmpdir(), "netmedic-agent-reporting-"));
  let controller: NetworkHealthClient;
  let targets: ProbeTargets;
  const runs: Array<{ stop: AbortController; done: Promise<void>; lines: string[] }> = [];
  const read = (): Promise<NetworkHealth | undefined> => controller.get(node);
  // The agent's own API client (as in production), from a kubeconfig file of its ServiceAccount.
  const startAgent = async (): Promise<void> => {
    const { logger, lines } = captureLogger();
    const options = { nodeName: node, hostPid: lab.workerPid, intervalMs: 500, heartbeatMs: 2000, probeTimeoutMs: 1000, logLevel: "debug" };
    const stop = new AbortController();
    const api = await AgentApiClient.load(agentKubeconfig);
    const agent = createAgent(options, new WatchedNetworkHealthStore(api, node, logger), logger);
    runs.push({ stop, done: agent.run(stop.signal).finally(() => api.close()), lines });
  };
  const stopAgent = async (): Promise<void> => {
    const run = runs.at(-1);
    run?.stop.abort();
    await run?.done;
  };

  beforeAll(async () => {
    await applyCrds(cluster.kubeConfig);
    lab = await startLab({ ipForward: 0 });
    agentConfig = await agentIdentity(cluster.kubeConfig);
    const caData = readFileSync(cluster.caCertPath).toString("base64");
    agentKubeconfig = writeKubeconfig(dir, "agent", cluster.server, { "certificate-authority-data": caData }, { token: tokenOf(agentConfig) });
    controller = new NetworkHealthClient(cluster.kubeConfig, FIELD_MANAGER_CONTROLLER);
    targets = { konnectivity: [`${lab.addresses.control}:8132`], apiServers: [`${lab.addresses.control}:6443`] };
  }, 120_000);

  afterAll(async () => {
    for (const run of runs) run.stop.abort();
    await Promise.all(runs.map((r) => r.done));
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("waits without crashing while the controller has not created the NetworkHealth", async () => {
    await startAgent();
    await new Promise((r) => setTimeout(r, 1500));
    const lines = runs[0]?.lines ?? [];
    expect(lines.filter((l) => l.includes("waiting for the controller to create the NetworkHealth"))).toHaveLength(1);
    expect(lines.some((l) => l.includes('"msg":"round failed"'))).toBe(false);
  }, 30_000);

  it("reports facts and probes of the created object's targets under netmedic-agent, before any controller status, leaving the controller's fields alone", async () => {
    const annotations = { [PROBE_TARGETS_ANNOTATION]: encodeProbeTargets(targets) };
    await controller.apply({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: node, annotations }, spec: {} });
    const health = await eventually("the agent's first report", async () => ((await read())?.status?.probes?.length ? await read() : undefined));
    expect(health.metadata.annotations?.[PROBE_TARGETS_ANNOTATION]).toBe(encodeProbeTargets(targets));
    expect(health.status?.conditions).toBeUndefined();
    expect(health.status?.facts?.sysctl?.ipForward).toBe(0);
    expect(health.status?.facts?.firewall).toMatchObject({ state: "running", podTrafficTrusted: false });
    expect(health.status?.probes?.find((p) => p.from === "Host" && p.purpose === "Konnectivity")?.result).toBe("ok");
    expect(health.status?.agent).toMatchObject({ version: expect.any(String), heartbeatTime: expect.any(String) });
    const managedFields = (health.metadata as { managedFields?: Array<{ manager?: string }> }).managedFields ?? [];
    const owned = (manager: string) => JSON.stringify(managedFields.filter((m) => m.manager === manager));
    expect(owned(FIELD_MANAGER_AGENT)).toMatch(/"f:facts".*"f:probes"|"f:probes".*"f:facts"/);
    expect(owned(FIELD_MANAGER_AGENT)).not.toContain("f:annotations");
    expect(owned(FIELD_MANAGER_CONTROLLER)).toContain(`"f:${PROBE_TARGETS_ANNOTATION}"`);
  }, 60_000);

  it("refreshes the heartbeat within the bound even when nothing changed", async () => {
    const first = (await read())?.status?.agent?.heartbeatTime ?? "";
    const next = await eventually("a newer heartbeat", async () => {
      const now = (await read())?.status?.agent?.heartbeatTime;
      return now && now > first ? now : undefined;
    }, 15_000);
    expect(Date.parse(next) - Date.parse(first)).toBeLessThanOrEqual(10_000);
  }, 30_000);

  it("executes the order the controller writes and reports the result against its orderId", async () => {
    await controller.applyStatus(node, { remediation: { phase: "Pending", orderId: `${node}-o1`, actions: [{ action: "EnableIPForwarding" }] } });
    const results = await eventually("the order's result", async () => {
      const r = (await read())?.status?.agent?.results ?? [];
      return r.length ? r : undefined;
    });
    expect(results).toEqual([expect.objectContaining({ orderId: `${node}-o1`, action: "EnableIPForwarding", result: "Succeeded" })]);
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe("1");
    expect((await read())?.status?.remediation?.orderId).toBe(`${node}-o1`);
  }, 60_000);

  it("a restarted agent adopts its results from the object and never executes the order again", async () => {
    await stopAgent();
    expect(runs[0]?.lines.at(-1)).toContain('"msg":"agent stopped"');
    expect((await lab.execIn("worker", ["sysctl", "-w", "net.ipv4.ip_forward=0"])).code).toBe(0);
    const before = (await read())?.status?.agent?.heartbeatTime ?? "";
    await startAgent();
    await eventually("two reports from the new agent", async () => {
      const now = (await read())?.status?.agent?.heartbeatTime;
      return now && Date.parse(now) > Date.parse(before) + 2000 ? true : undefined;
    }, 20_000);
    expect((await read())?.status?.agent?.results).toHaveLength(1);
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe("0");
    expect(runs[1]?.lines.some((l) => l.includes('"msg":"order received"'))).toBe(false);
    expect((await read())?.status?.facts?.sysctl?.ipForward).toBe(0);
  }, 60_000);

  it("its identity can do nothing but read and watch NetworkHealth and patch its status", async () => {
    await expect(agentConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "kube-system" })).rejects.toMatchObject({ code: 403 });
    await expect(agentConfig.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: "default" })).rejects.toMatchObject({ code: 403 });
    const patch = agentConfig.makeApiClient(CustomObjectsApi).deleteClusterCustomObject({ group: "netmedic.io", version: "v1alpha1", plural: "networkhealths", name: node });
    await expect(patch).rejects.toMatchObject({ code: 403 });
    await stopAgent();
  }, 30_000);
});
