/**
 * The agent's side of the Lease heartbeat on the real control plane, as the agent's ServiceAccount
 * under copies of deploy/'s agent roles (the ClusterRole, and the Role in netmedic-node-lease):
 *  - the Lease client creates netmedic-node-lease/<node> once and renews it with one update per
 *    renewal, nothing refused (audit log);
 *  - an agent whose Lease works writes its NetworkHealth only when the report changes (rounds a
 *    heartbeat apart leave its resourceVersion alone) while the Lease's renewTime moves;
 *  - an agent without the Role (403) or without the namespace (404, an older deploy/) heartbeats
 *    through its NetworkHealth status instead.
 * The agent runs in-process on a host that answers nothing (test/fixtures/absent-host.ts), with a
 * clock stepped a heartbeat per round, so the story takes no waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { CoordinationV1Api, CustomObjectsApi, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { AGENT_LEASE_LABELS, AGENT_LEASE_NAMESPACE, FIELD_MANAGER_CONTROLLER, PROBE_TARGETS_ANNOTATION } from "../../src/api/index.js";
import { Agent } from "../../src/agent/agent.js";
import { LeaseHeartbeat } from "../../src/agent/lease-heartbeat.js";
import { AgentApiClient } from "../../src/k8s/light/agent-api-client.js";
import { AgentLeaseClient } from "../../src/k8s/light/agent-lease.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { asServiceAccount, getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { applyCrds } from "../support/control-plane/crds.js";
import { bindAgentLeaseRole, bindAgentRole, tokenOf, unbindAgentLeaseRole, writeKubeconfig } from "../lab/agent-identity.js";
import { AbsentHost } from "../fixtures/absent-host.js";

interface AuditEvent { verb: string; user: { username: string }; objectRef?: { resource?: string; namespace?: string; name?: string }; responseStatus?: { code?: number } }

const cluster = getTestCluster();
const admin = cluster.kubeConfig;
const dir = mkdtempSync(join(tmpdir(), "netmedic-agent-heartbeat-"));
const caData = readFileSync(cluster.caCertPath).toString("base64");
const namespace = uniqueName("netmedic-heartbeat");
const HEARTBEAT_MS = 60_000;
const nodes = { working: uniqueName("hb-working"), forbidden: uniqueName("hb-forbidden"), missing: uniqueName("hb-missing"), client: uniqueName("hb-client") };
const controller = new NetworkHealthClient(admin, FIELD_MANAGER_CONTROLLER);
const leases = admin.makeApiClient(CoordinationV1Api);
const clients: AgentApiClient[] = [];
const clusterRoles: string[] = [];
let leaseRole: string | undefined;

/** The agent's API client as ServiceAccount `namespace/account`. */
async function agentApi(account: string): Promise<AgentApiClient> {
  const token = tokenOf(await asServiceAccount(admin, namespace, account));
  const client = await AgentApiClient.load(writeKubeconfig(dir, account, cluster.server, { "certificate-authority-data": caData }, { token }), { timeoutMs: 10_000 });
  clients.push(client);
  return client;
}

/** Four rounds of an agent on `node`, a heartbeat apart: their outcomes, the NetworkHealth's resourceVersions and the Lease heartbeat's state. */
async function rounds(api: AgentApiClient, node: string, leaseNamespace: string): Promise<{ outcomes: string[]; versions: string[]; state: string }> {
  const logger = pino({ level: "silent" });
  let now = Date.now();
  const leaseHeartbeat = new LeaseHeartbeat(new AgentLeaseClient(api.rest, leaseNamespace), { node, heartbeatMs: HEARTBEAT_MS, leaseDurationSeconds: 150, logger });
  const agent = new Agent(
    { nodeName: node, intervalMs: 1000, heartbeatMs: HEARTBEAT_MS, probeTimeoutMs: 100, podNetwork: {}, version: "test" },
    { store: api, host: new AbsentHost(), dialer: { dial: async () => { throw new Error("must not dial"); } }, logger, clock: () => new Date(now), leaseHeartbeat },
  );
  const outcomes: string[] = [];
  const versions: string[] = [];
  for (let round = 0; round < 4; round += 1) {
    outcomes.push(await agent.round());
    versions.push((await controller.get(node))?.metadata.resourceVersion ?? "");
    now += HEARTBEAT_MS;
  }
  return { outcomes, versions, state: leaseHeartbeat.current };
}

beforeAll(async () => {
  await applyCrds(admin);
  for (const account of ["agent", "agent-no-lease"]) clusterRoles.push(await bindAgentRole(admin, { kind: "ServiceAccount", name: account, namespace }));
  leaseRole = await bindAgentLeaseRole(admin, { kind: "ServiceAccount", name: "agent", namespace });
  for (const name of Object.values(nodes)) {
    await controller.apply({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name, annotations: { [PROBE_TARGETS_ANNOTATION]: "{}" } }, spec: {} });
  }
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.close();
  const custom = admin.makeApiClient(CustomObjectsApi);
  for (const name of Object.values(nodes)) {
    await custom.deleteClusterCustomObject({ group: "netmedic.io", version: "v1alpha1", plural: "networkhealths", name }).catch(() => undefined);
    await leases.deleteNamespacedLease({ name, namespace: AGENT_LEASE_NAMESPACE }).catch(() => undefined);
  }
  if (leaseRole) await unbindAgentLeaseRole(admin, leaseRole);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  for (const name of clusterRoles) {
    await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    await rbac.deleteClusterRole({ name }).catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("the agent's heartbeat Lease under deploy/'s agent roles", () => {
  it("is created once, then renewed with one update per renewal; none refused", async () => {
    const api = await agentApi("agent");
    const client = new AgentLeaseClient(api.rest);
    const times = [0, 1, 2].map((s) => new Date(Date.UTC(2026, 11, 4, 17, 0, s)));
    for (const time of times) await client.renew(nodes.client, 150, time);
    const lease = await leases.readNamespacedLease({ name: nodes.client, namespace: AGENT_LEASE_NAMESPACE });
    expect(lease.metadata?.labels).toMatchObject(AGENT_LEASE_LABELS);
    expect(lease.spec).toMatchObject({ holderIdentity: nodes.client, leaseDurationSeconds: 150 });
    expect(new Date(lease.spec?.renewTime as unknown as string).getTime()).toBe(times[2]?.getTime());
    const user = `system:serviceaccount:${namespace}:agent`;
    const requests = (): AuditEvent[] => readFileSync(cluster.auditLogPath, "utf8").split("\n").filter((line) => line.includes(nodes.client))
      .map((line) => JSON.parse(line) as AuditEvent).filter((e) => e.user.username === user && e.objectRef?.resource === "leases");
    expect(requests().map((e) => `${e.verb} ${e.responseStatus?.code}`)).toEqual(["get 404", "create 201", "update 200", "update 200"]);
  });

  it("while the Lease works, rounds a heartbeat apart write the NetworkHealth only once (its first report) and renew the Lease", async () => {
    const api = await agentApi("agent");
    const before = Date.now();
    const { outcomes, versions, state } = await rounds(api, nodes.working, AGENT_LEASE_NAMESPACE);
    expect(outcomes).toEqual(["changed", "unchanged", "unchanged", "unchanged"]);
    expect(new Set(versions).size).toBe(1);
    expect(state).toBe("working");
    const lease = await leases.readNamespacedLease({ name: nodes.working, namespace: AGENT_LEASE_NAMESPACE });
    // The last of four renewals, a heartbeat apart on the agent's clock.
    expect(new Date(lease.spec?.renewTime as unknown as string).getTime()).toBeGreaterThanOrEqual(before + 3 * HEARTBEAT_MS);
  });

  it.each([
    ["without the Role (403)", "agent-no-lease", nodes.forbidden, AGENT_LEASE_NAMESPACE],
    ["without the namespace (404, an older deploy/)", "agent", nodes.missing, uniqueName("netmedic-no-lease-namespace")],
  ])("%s the agent heartbeats through its NetworkHealth status instead", async (_name, account, node, leaseNamespace) => {
    const api = await agentApi(account);
    const { outcomes, versions, state } = await rounds(api, node, leaseNamespace);
    expect(outcomes).toEqual(["changed", "reported", "reported", "reported"]);
    expect(new Set(versions).size).toBe(4);
    expect(state).toBe("fallback");
    await expect(leases.readNamespacedLease({ name: node, namespace: AGENT_LEASE_NAMESPACE })).rejects.toMatchObject({ code: 404 });
  });
});
