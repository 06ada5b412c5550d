// A re-point under the dead-man switch is confirmed only when the node's kubelet heartbeats again
// (issue 20 part 2). The k3s lab node pinned to an etcd-only server (pinned-agent.ts) is re-pointed
// for real by an agent with a checkpoint dir, reading its node's Lease kube-node-lease/<node> on the
// shared real apiserver with the light client, as deploy/'s netmedic-agent ServiceAccount (exactly
// deploy/21-rbac-agent.yaml's roles). The live apiserver stand-in answers from the node in both
// cases; only the kubelet stand-in differs: (a) it never renews the Lease after the restart → the
// re-point is rolled back within the deadline (files, LB state, a second restart) and reported
// RolledBack; (b) it renews every second → confirmed, the re-point stays, nothing armed.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuthorizationV1Api, CoordinationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { Agent } from "../../src/agent/agent.js";
import { CheckpointStore } from "../../src/agent/checkpoint/checkpoint-store.js";
import { HostNetworkDialer } from "../../src/agent/host-dialer.js";
import { HostExecutor } from "../../src/agent/host-executor.js";
import { AgentApiClient } from "../../src/k8s/light/agent-api-client.js";
import { getTestCluster, asServiceAccount, uniqueName } from "../support/control-plane/cluster.js";
import { deployManifests, kubectlManifests } from "../support/control-plane/deploy-manifests.js";
import { K3S_PATHS } from "../support/lab/index.js";
import { captureLogger } from "./agent-support.js";
import { tokenOf, writeKubeconfig } from "./agent-identity.js";
import { startPinnedAgentLab, type PinnedAgentLab } from "./pinned-agent.js";

const TOKEN = "K10feedfacecafe0123456789abcdef::server:Lease-S3cret-Passw0rd";
const CONFIRM_TIMEOUT_MS = 8000;
const microTime = (date: Date) => date.toISOString().replace("Z", "000Z");

describe("a re-point is confirmed by the node's kubelet Lease (k3s lab node, real apiserver)", () => {
  const cluster = getTestCluster();
  const namespace = uniqueName("netmedic-lease");
  const manifests = deployManifests(["deploy/00-namespace.yaml", "deploy/10-serviceaccounts.yaml", "deploy/21-rbac-agent.yaml"], namespace);
  const dir = mkdtempSync(join(tmpdir(), "netmedic-lease-"));
  const leases = cluster.kubeConfig.makeApiClient(CoordinationV1Api);
  let pinned: PinnedAgentLab;
  let api: AgentApiClient;
  let identity: KubeConfig;
  let agent: Agent;
  let kubelet: NodeJS.Timeout | undefined;
  const { logger, lines } = captureLogger("trace");
  const renew = async () => {
    const lease = await leases.readNamespacedLease({ name: pinned.lab.hostname, namespace: "kube-node-lease" });
    await leases.replaceNamespacedLease({ name: pinned.lab.hostname, namespace: "kube-node-lease", body: { ...lease, spec: { ...lease.spec, renewTime: microTime(new Date()) as unknown as Date } } });
  };

  beforeAll(async () => {
    pinned = await startPinnedAgentLab({
      port: 6443, gitVersion: "v1.28.15+k3s1",
      writeHostFiles: async (lab, server) => Object.values(await lab.writeK3sHostRoot({ server, token: TOKEN })),
    });
    kubectlManifests("apply", cluster.kubeconfigPath, manifests);
    identity = await asServiceAccount(cluster.kubeConfig, namespace, "netmedic-agent");
    const token = tokenOf(identity);
    const caData = readFileSync(cluster.caCertPath).toString("base64");
    api = await AgentApiClient.load(writeKubeconfig(dir, "agent", cluster.server, { "certificate-authority-data": caData }, { token }), { timeoutMs: 5000 });
    const renewTime = microTime(new Date(Date.now() - 5000)) as unknown as Date;
    await leases.createNamespacedLease({ namespace: "kube-node-lease", body: { metadata: { name: pinned.lab.hostname }, spec: { holderIdentity: pinned.lab.hostname, leaseDurationSeconds: 40, renewTime } } });
    const host = new HostExecutor(pinned.lab.workerPid);
    agent = new Agent(
      { nodeName: pinned.lab.hostname, intervalMs: 1000, heartbeatMs: 30_000, probeTimeoutMs: 2500, podNetwork: {}, version: "test", deadMan: { stateDir: join(dir, "state"), confirmTimeoutMs: CONFIRM_TIMEOUT_MS } },
      { store: pinned.store, host, dialer: new HostNetworkDialer(host), logger, leases: api },
    );
  }, 120_000);

  afterAll(async () => {
    clearInterval(kubelet);
    api?.close();
    await leases.deleteNamespacedLease({ name: pinned.lab.hostname, namespace: "kube-node-lease" }).catch(() => undefined);
    kubectlManifests("delete", cluster.kubeconfigPath, manifests);
    await pinned?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("the agent's ServiceAccount may get a node Lease in kube-node-lease, and nothing more there", async () => {
    expect(await api.nodeLeaseRenewTime(pinned.lab.hostname)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(await api.nodeLeaseRenewTime(uniqueName("no-such-node"))).toBeUndefined();
    const agentCan = async (verb: string, resourceNamespace: string) => (await identity.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { group: "coordination.k8s.io", resource: "leases", verb, namespace: resourceNamespace } } },
    })).status?.allowed;
    expect(await agentCan("get", "kube-node-lease")).toBe(true);
    expect(await agentCan("list", "kube-node-lease")).toBe(false);
    expect(await agentCan("update", "kube-node-lease")).toBe(false);
    expect(await agentCan("get", "kube-system")).toBe(false);
  });

  it("(a) the kubelet does not heartbeat after the restart: rolled back within the deadline and reported RolledBack", async () => {
    pinned.order("lease-silent", [{ action: "RepointAPIServerEndpoint", server: `https://${pinned.live}` }]);
    const started = Date.now();
    await agent.round();
    const elapsed = Date.now() - started;
    const [result, ...others] = pinned.results("lease-silent");
    expect(others).toEqual([]);
    expect([result?.action, result?.result, result?.reason]).toEqual(["RepointAPIServerEndpoint", "Failed", "RolledBack"]);
    expect(result?.detail).toMatch(new RegExp(`^RolledBack: the kubelet did not renew its Lease kube-node-lease/${pinned.lab.hostname} after the change \\(last renewed \\S+\\) within 8s of the change; undid `));
    expect(result?.detail).not.toMatch(/INCOMPLETE/);
    for (const [path, content] of Object.entries(pinned.originals)) expect(await pinned.lab.readFile(path)).toBe(content);
    expect(await pinned.restarts()).toEqual(["k3s-agent", "k3s-agent"]);
    expect(existsSync(new CheckpointStore(join(dir, "state")).path)).toBe(false);
    // The deadline counts from the end of the change; the re-point and the undo (two restarts) come on top.
    expect(elapsed).toBeLessThan(CONFIRM_TIMEOUT_MS + 20_000);
    expect(elapsed).toBeGreaterThanOrEqual(CONFIRM_TIMEOUT_MS);
  }, 90_000);

  it("(b) the kubelet heartbeats again after the restart: confirmed, the re-point stays, nothing armed", async () => {
    kubelet = setInterval(() => void renew().catch(() => undefined), 1000);
    pinned.order("lease-renewed", [{ action: "RepointAPIServerEndpoint", server: `https://${pinned.live}` }]);
    await agent.round();
    expect(pinned.results("lease-renewed")).toEqual([expect.objectContaining({ action: "RepointAPIServerEndpoint", result: "Succeeded" })]);
    expect(await pinned.lab.readFile(K3S_PATHS.config)).toContain(`server: https://${pinned.live}`);
    expect(existsSync(new CheckpointStore(join(dir, "state")).path)).toBe(false);
    expect((await pinned.restarts()).length).toBe(3);
    clearInterval(kubelet);
  }, 90_000);

  it("the token never appears in the agent's log lines, applied statuses or results; this machine never changed", async () => {
    expect(lines.length).toBeGreaterThan(5);
    const said = [...lines, JSON.stringify(pinned.store.applied), JSON.stringify(pinned.store.object)].join("\n");
    for (const secret of ["Lease-S3cret-Passw0rd", "K10feedfacecafe"]) expect(said).not.toContain(secret);
    const { before, now } = await pinned.machineUnchanged();
    expect(now).toEqual(before);
  });
});
