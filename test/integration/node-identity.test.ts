/**
 * Node identity on the real apiserver (v1.20.2): the webhook of src/controller/admission, registered
 * from deploy/53-node-identity-webhook.yaml, judging writes made with real Pod-bound tokens.
 * Differences from the shipped configuration, and why: the apiserver reaches the webhook by URL on
 * loopback (no Service routing here), and an objectSelector limits it to this file's objects (the
 * plane is shared with other test files). The caBundle goes in by the controller's own code. The
 * Lease entry judges this file's Leases in the shared netmedic-node-lease, which the test creates
 * labelled (a Lease's UPDATE matches the selector by its old object), written by the agent's own
 * Lease client under a copy of deploy/'s agent Role there.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parseAllDocuments } from "yaml";
import { AdmissionregistrationV1Api, AuthenticationV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, type V1ValidatingWebhookConfiguration } from "@kubernetes/client-node";
import { AGENT_LEASE_NAMESPACE, FIELD_MANAGER_CONTROLLER, type NetworkHealthStatus } from "../../src/api/index.js";
import { AgentApiClient } from "../../src/k8s/light/agent-api-client.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { publishCaBundle } from "../../src/controller/admission/ca-bundle.js";
import { checkGuard } from "../../src/controller/admission/guard-check.js";
import { apiPodReader, PodNodes, POD_NAME_EXTRA, POD_UID_EXTRA } from "../../src/controller/admission/pod-nodes.js";
import { selfSignedCert } from "../../src/controller/admission/serving-cert.js";
import { startWebhookServer, type WebhookServer } from "../../src/controller/admission/webhook-server.js";
import { AgentLeaseClient } from "../../src/k8s/light/agent-lease.js";
import { getTestCluster, uniqueName, asServiceAccount } from "../support/control-plane/cluster.js";
import { applyCrds } from "../support/control-plane/crds.js";
import { createReadyNode } from "../support/control-plane/kubelet.js";
import { eventually } from "../support/e2e/processes.js";
import { bindAgentLeaseRole, bindAgentRole, unbindAgentLeaseRole, writeKubeconfig } from "../lab/agent-identity.js";
import { healthyFacts } from "../fixtures/cluster.js";

const cluster = getTestCluster();
const admin = cluster.kubeConfig;
const core = admin.makeApiClient(CoreV1Api);
const dir = mkdtempSync(join(tmpdir(), "netmedic-node-identity-"));
const namespace = uniqueName("netmedic-nodeid");
const [nodeA, nodeB] = [uniqueName("nodeid-a"), uniqueName("nodeid-b")];
const selector = { "netmedic.io/node-identity-test": namespace };
const configuration = uniqueName("netmedic-node-identity");
const controller = new NetworkHealthClient(admin, FIELD_MANAGER_CONTROLLER);
const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, "Z");
let webhook: WebhookServer | undefined;
let agentA: AgentApiClient;
let unbound: AgentApiClient;
let boundToken: string;
let leaseRole: string | undefined;
const leases = admin.makeApiClient(CoordinationV1Api);

/** A token of netmedic-agent bound to `pod` (what a kubelet puts in a projected volume). */
async function podToken(pod: { name: string; uid: string } | undefined): Promise<string> {
  const boundObjectRef = pod ? { apiVersion: "v1", kind: "Pod", name: pod.name, uid: pod.uid } : undefined;
  const request = await core.createNamespacedServiceAccountToken({ name: "netmedic-agent", namespace, body: { spec: { audiences: [], expirationSeconds: 3600, boundObjectRef } } });
  return request.status?.token ?? "";
}

async function agentClient(name: string, token: string): Promise<AgentApiClient> {
  const caData = readFileSync(cluster.caCertPath).toString("base64");
  return AgentApiClient.load(writeKubeconfig(dir, name, cluster.server, { "certificate-authority-data": caData }, { token }), { timeoutMs: 10_000 });
}

/** deploy/'s ValidatingWebhookConfiguration, pointed at `url` and limited to this file's objects. */
function shippedConfiguration(url: string): V1ValidatingWebhookConfiguration {
  const docs = parseAllDocuments(readFileSync("deploy/53-node-identity-webhook.yaml", "utf8")).map((d) => d.toJS() as V1ValidatingWebhookConfiguration & { kind: string });
  const config = docs.find((d) => d.kind === "ValidatingWebhookConfiguration");
  if (!config?.webhooks?.[0]) throw new Error("deploy/53-node-identity-webhook.yaml has no webhook");
  config.metadata = { name: configuration };
  for (const webhook of config.webhooks) {
    const path = webhook.clientConfig.service?.path ?? "";
    webhook.clientConfig = { url: `${url}${path}` };
    webhook.objectSelector = { matchLabels: selector };
  }
  return config;
}

async function startWebhook(): Promise<WebhookServer> {
  const cert = selfSignedCert({ commonName: "replica-0", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], notBefore: new Date(Date.now() - 60_000), validDays: 1 });
  const server = await startWebhookServer({ listen: { host: "127.0.0.1", port: 0 }, cert, agent: { namespace, name: "netmedic-agent" },
    pods: new PodNodes(apiPodReader(admin)), logger: pino({ level: "silent" }) });
  const api = admin.makeApiClient(AdmissionregistrationV1Api);
  await api.createValidatingWebhookConfiguration({ body: shippedConfiguration(`https://127.0.0.1:${server.port}`) }).catch(() => undefined);
  await publishCaBundle({ kubeConfig: admin, own: { name: "replica-0", certPem: cert.certPem }, live: async () => new Set(["replica-0"]), configuration });
  return server;
}

/** A whole agent report (as the agent always sends: an apply that drops its facts fails on v1.20) plus `extra`. */
const report = (extra: NetworkHealthStatus = {}): NetworkHealthStatus => ({ facts: { ...healthyFacts(), collectedAt: now() }, agent: { heartbeatTime: now(), version: "test" }, ...extra });

const refusal = (promise: Promise<unknown>): Promise<string> => promise.then(() => "admitted", (error: { code?: number; message?: string }) => `${error.code}: ${error.message}`);

beforeAll(async () => {
  await applyCrds(admin);
  await asServiceAccount(admin, namespace, "netmedic-agent");
  await bindAgentRole(admin, { kind: "ServiceAccount", name: "netmedic-agent", namespace });
  leaseRole = await bindAgentLeaseRole(admin, { kind: "ServiceAccount", name: "netmedic-agent", namespace });
  for (const [name, ip] of [[nodeA, "192.168.7.1"], [nodeB, "192.168.7.2"]] as const) {
    await createReadyNode(admin, { name, internalIP: ip });
    await controller.apply({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name, labels: selector }, spec: {} });
  }
  const pod = await core.createNamespacedPod({ namespace, body: { metadata: { name: "agent-a" },
    spec: { serviceAccountName: "netmedic-agent", nodeName: nodeA, containers: [{ name: "agent", image: "ghcr.io/netmedic-io/netmedic:test" }] } } });
  boundToken = await podToken({ name: "agent-a", uid: pod.metadata?.uid ?? "" });
  agentA = await agentClient("agent-a", boundToken);
  unbound = await agentClient("unbound", await podToken(undefined));
  webhook = await startWebhook();
  // The apiserver picks a new configuration up from its informer: wait until it judges.
  await eventually("the webhook judges", async () => (await refusal(agentA.applyStatus(nodeB, report()))).startsWith("403"), 30_000);
}, 90_000);

afterAll(async () => {
  await webhook?.close();
  agentA?.close();
  unbound?.close();
  await admin.makeApiClient(AdmissionregistrationV1Api).deleteValidatingWebhookConfiguration({ name: configuration }).catch(() => undefined);
  const custom = admin.makeApiClient(CustomObjectsApi);
  for (const name of [nodeA, nodeB]) {
    await custom.deleteClusterCustomObject({ group: "netmedic.io", version: "v1alpha1", plural: "networkhealths", name }).catch(() => undefined);
    await core.deleteNode({ name }).catch(() => undefined);
    await leases.deleteNamespacedLease({ name, namespace: AGENT_LEASE_NAMESPACE }).catch(() => undefined);
  }
  if (leaseRole) await unbindAgentLeaseRole(admin, leaseRole);
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe("node identity: an agent writes only its own node's facts", () => {
  it("v1.20 puts the bound Pod's name and uid in the token's user extra", async () => {
    const review = await admin.makeApiClient(AuthenticationV1Api).createTokenReview({ body: { spec: { token: boundToken } } });
    expect(review.status?.user?.username).toBe(`system:serviceaccount:${namespace}:netmedic-agent`);
    expect(review.status?.user?.extra?.[POD_NAME_EXTRA]).toEqual(["agent-a"]);
    expect(review.status?.user?.extra?.[POD_UID_EXTRA]?.[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("node A's agent reports its own facts, probes and heartbeat", async () => {
    const written = await agentA.applyStatus(nodeA, report());
    expect(written.status?.agent?.version).toBe("test");
  });

  it("node A's agent is refused on node B's NetworkHealth, with a message naming both", async () => {
    const before = (await controller.get(nodeB))?.metadata.resourceVersion;
    const outcome = await refusal(agentA.applyStatus(nodeB, report()));
    expect(outcome).toContain(`403: HTTP 403: admission webhook "node-identity.netmedic.io" denied the request: node ${nodeA} may not write NetworkHealth ${nodeB}: an agent writes only its own node's NetworkHealth`);
    expect((await controller.get(nodeB))?.metadata.resourceVersion).toBe(before);
  });

  it("node A's agent is refused when it writes an order (or conditions) into its own", async () => {
    const order = report({ remediation: { phase: "Pending", orderId: "forged", actions: [{ action: "RepointAPIServerEndpoint" }] } as NetworkHealthStatus["remediation"] });
    expect(await refusal(agentA.applyStatus(nodeA, order))).toMatch(/^403: .*may not write controller-owned status fields \(status\.remediation\)/s);
    const conditions = report({ conditions: [{ type: "Ready", status: "True", reason: "Healthy", message: "forged", lastTransitionTime: now() }] });
    expect(await refusal(agentA.applyStatus(nodeA, conditions))).toMatch(/status\.conditions/);
    expect((await controller.get(nodeA))?.status?.remediation?.orderId).not.toBe("forged");
  });

  it("a netmedic-agent token bound to no Pod is refused", async () => {
    expect(await refusal(unbound.applyStatus(nodeA, report()))).toMatch(/^403: .*not tied to a node: the token is not bound to a Pod/s);
  });

  it("the controller still writes everything it owns, on every node", async () => {
    const status: NetworkHealthStatus = {
      conditions: [{ type: "Ready", status: "False", reason: "Degraded", message: "test", lastTransitionTime: now() }],
      remediation: { phase: "Pending", orderId: "order-1", actions: [{ action: "EnableIPForwarding" }] } as NetworkHealthStatus["remediation"],
      history: [{ time: now(), action: "EnableIPForwarding", result: "Pending" } as NonNullable<NetworkHealthStatus["history"]>[number]],
    };
    for (const name of [nodeA, nodeB]) expect((await controller.applyStatus(name, status)).status?.remediation?.orderId).toBe("order-1");
    // The agent's report next to the controller's order is still its own business.
    expect((await agentA.applyStatus(nodeA, report())).status?.remediation?.orderId).toBe("order-1");
  });

  it("node A's agent renews its own heartbeat Lease and is refused on node B's (update and create) and on its own in another's name", async () => {
    // This file's Leases carry its label, so the Lease entry (objectSelector) judges writes to them.
    const lease = (name: string, holderIdentity: string) => ({ metadata: { name, labels: selector }, spec: { holderIdentity, leaseDurationSeconds: 750, renewTime: new Date().toISOString().replace(/Z$/, "000Z") as unknown as Date } });
    await leases.createNamespacedLease({ namespace: AGENT_LEASE_NAMESPACE, body: lease(nodeA, nodeA) });
    await leases.createNamespacedLease({ namespace: AGENT_LEASE_NAMESPACE, body: lease(nodeB, nodeB) });
    const renewed = await new AgentLeaseClient(agentA.rest).renew(nodeA, 750, new Date());
    expect(renewed.spec.holderIdentity).toBe(nodeA);
    const before = (await leases.readNamespacedLease({ name: nodeB, namespace: AGENT_LEASE_NAMESPACE })).metadata?.resourceVersion;
    expect(await refusal(new AgentLeaseClient(agentA.rest).renew(nodeB, 750, new Date())))
      .toContain(`403: HTTP 403: admission webhook "agent-lease.netmedic.io" denied the request: node ${nodeA} may not write Lease ${AGENT_LEASE_NAMESPACE}/${nodeB}`);
    expect((await leases.readNamespacedLease({ name: nodeB, namespace: AGENT_LEASE_NAMESPACE })).metadata?.resourceVersion).toBe(before);
    // Its own Lease in another node's name, and a Lease for a node not yet there, are refused too.
    const stolen = await leases.readNamespacedLease({ name: nodeA, namespace: AGENT_LEASE_NAMESPACE });
    expect(await refusal(agentA.rest.request({ method: "PUT", path: `/apis/coordination.k8s.io/v1/namespaces/${AGENT_LEASE_NAMESPACE}/leases/${nodeA}`, body: { ...stolen, spec: { ...stolen.spec, holderIdentity: nodeB } } })))
      .toContain(`holderIdentity ${nodeB}: its holder is the node itself`);
    const created = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", ...lease(`${nodeB}-new`, `${nodeB}-new`) };
    expect(await refusal(agentA.rest.request({ method: "POST", path: `/apis/coordination.k8s.io/v1/namespaces/${AGENT_LEASE_NAMESPACE}/leases`, body: created })))
      .toContain(`may not write Lease ${AGENT_LEASE_NAMESPACE}/${nodeB}-new`);
  });

  it("the guard check sees the webhook answer, and changes nothing (a dry run)", async () => {
    const before = (await controller.get(nodeA))?.metadata.resourceVersion;
    expect(await checkGuard(admin, nodeA)).toBe(true);
    expect((await controller.get(nodeA))?.metadata.resourceVersion).toBe(before);
  });

  it("while the webhook is down the apiserver admits (failurePolicy Ignore): the controller keeps healing, the guard lapses and the check says so", async () => {
    await webhook?.close();
    webhook = undefined;
    const status: NetworkHealthStatus = { remediation: { phase: "Pending", orderId: "order-2", actions: [{ action: "EnableIPForwarding" }] } as NetworkHealthStatus["remediation"] };
    expect((await controller.applyStatus(nodeB, status)).status?.remediation?.orderId).toBe("order-2");
    expect(await refusal(agentA.applyStatus(nodeB, report()))).toBe("admitted");
    expect(await checkGuard(admin, nodeA)).toBe(false);
  });
});
