/**
 * The agent's RBAC for orders by watch, on this apiserver (v1.20.2):
 *  - `resourceNames` does work with a field selector: a role naming one NetworkHealth lets a
 *    list/watch with `fieldSelector=metadata.name=<that name>` through and refuses any other list.
 *    The shipped role still grants list/watch without resourceNames, because every agent shares one
 *    ServiceAccount (deploy/21-rbac-agent.yaml says why).
 *  - under the shipped role, the agent's watched store lists once, watches and applies its status,
 *    and the audit log shows none of its requests refused and no GET of a NetworkHealth.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { CustomObjectsApi, RbacAuthorizationV1Api, type V1PolicyRule } from "@kubernetes/client-node";
import { FIELD_MANAGER_CONTROLLER, type NetworkHealth } from "../../src/api/index.js";
import { AgentApiClient } from "../../src/k8s/light/agent-api-client.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { WatchedNetworkHealthStore } from "../../src/agent/watched-store.js";
import { asServiceAccount, getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { applyCrds } from "../support/control-plane/crds.js";
import { agentRules, tokenOf, writeKubeconfig } from "../lab/agent-identity.js";

interface AuditEvent { verb: string; user: { username: string }; objectRef?: { resource?: string; subresource?: string }; responseStatus?: { code?: number } }

const cluster = getTestCluster();
const dir = mkdtempSync(join(tmpdir(), "netmedic-agent-rbac-"));
const caData = readFileSync(cluster.caCertPath).toString("base64");
const [own, other] = [uniqueName("rbac-own"), uniqueName("rbac-other")];
const clients: AgentApiClient[] = [];

/** An AgentApiClient as ServiceAccount `namespace/agent`, bound to a ClusterRole with `rules`. */
async function clientWithRules(namespace: string, rules: V1PolicyRule[]): Promise<AgentApiClient> {
  const rbac = cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createClusterRole({ body: { metadata: { name: namespace }, rules } });
  await rbac.createClusterRoleBinding({ body: { metadata: { name: namespace }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: namespace },
    subjects: [{ kind: "ServiceAccount", name: "agent", namespace }] } });
  const token = tokenOf(await asServiceAccount(cluster.kubeConfig, namespace, "agent"));
  const client = await AgentApiClient.load(writeKubeconfig(dir, namespace, cluster.server, { "certificate-authority-data": caData }, { token }), { timeoutMs: 10_000 });
  clients.push(client);
  return client;
}

/** Opens a watch of `name` and ends it after `ms`; rejects like the watch does (403 …). */
async function watchBriefly(client: AgentApiClient, name: string, resourceVersion: string, ms = 300): Promise<void> {
  const stop = new AbortController();
  setTimeout(() => stop.abort(), ms);
  await client.watchOne(name, resourceVersion, () => undefined, { signal: stop.signal, timeoutSeconds: 30 });
}

describe("agent RBAC: list and watch of its own NetworkHealth", () => {
  const roles: string[] = [];

  beforeAll(async () => {
    await applyCrds(cluster.kubeConfig);
    const controller = new NetworkHealthClient(cluster.kubeConfig, FIELD_MANAGER_CONTROLLER);
    for (const name of [own, other]) await controller.apply({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name }, spec: {} });
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    const rbac = cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    for (const name of roles) {
      await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
      await rbac.deleteClusterRole({ name }).catch(() => undefined);
    }
    const custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
    for (const name of [own, other]) await custom.deleteClusterCustomObject({ group: "netmedic.io", version: "v1alpha1", plural: "networkhealths", name }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("resourceNames authorizes a list/watch whose metadata.name field selector names the object, and nothing else", async () => {
    const namespace = uniqueName("netmedic-agent-named");
    roles.push(namespace);
    const named = await clientWithRules(namespace, [{ apiGroups: ["netmedic.io"], resources: ["networkhealths"], resourceNames: [own], verbs: ["get", "list", "watch"] }]);
    const listed = await named.listOne(own);
    expect(listed.object?.metadata.name).toBe(own);
    await expect(watchBriefly(named, own, listed.resourceVersion)).resolves.toBeUndefined();
    await expect(named.listOne(other)).rejects.toMatchObject({ code: 403 });
    await expect(watchBriefly(named, other, listed.resourceVersion)).rejects.toMatchObject({ code: 403 });
    const token = tokenOf(await asServiceAccount(cluster.kubeConfig, namespace, "agent"));
    const everything = await fetchStatus(`/apis/netmedic.io/v1alpha1/networkhealths`, token);
    expect(everything).toBe(403);
  });

  it("the shipped role: the watched store lists once, watches and reports; none refused, no GET", async () => {
    const namespace = uniqueName("netmedic-agent-shipped");
    roles.push(namespace);
    const api = await clientWithRules(namespace, agentRules());
    const store = new WatchedNetworkHealthStore(api, own, pino({ level: "silent" }));
    const stop = new AbortController();
    const following = store.follow(stop.signal);
    const seen: NetworkHealth | undefined = await store.get();
    expect(seen?.metadata.name).toBe(own);
    await store.applyStatus(own, { agent: { heartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") } });
    await new Promise((r) => setTimeout(r, 500));
    stop.abort();
    await following;
    const user = `system:serviceaccount:${namespace}:agent`;
    const audited = (): AuditEvent[] => readFileSync(cluster.auditLogPath, "utf8").split("\n").filter((line) => line.includes(user))
      .map((line) => JSON.parse(line) as AuditEvent).filter((e) => e.user.username === user && e.objectRef?.resource === "networkhealths");
    const verbsOf = (events: AuditEvent[]) => [...new Set(events.map((e) => `${e.verb}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ""}`))].sort();
    // A watch is audited when the server sees it end.
    for (let n = 0; n < 50 && !verbsOf(audited()).includes("watch"); n += 1) await new Promise((r) => setTimeout(r, 100));
    const events = audited();
    expect(verbsOf(events)).toEqual(["list", "patch/status", "watch"]);
    expect(events.filter((e) => e.responseStatus?.code === 403)).toEqual([]);
  });
});

/** The HTTP status of an unfiltered GET as `token` (the agent's client only ever sends filtered lists). */
async function fetchStatus(path: string, token: string): Promise<number> {
  const { request } = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = request(new URL(cluster.server + path), { headers: { Authorization: `Bearer ${token}` }, ca: readFileSync(cluster.caCertPath) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}
