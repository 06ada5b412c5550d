// The agent's identity on the shared plane: a ServiceAccount bound to a copy of
// deploy/21-rbac-agent.yaml's ClusterRole, and kubeconfig files for the agent's own API client
// (which reads files, not client-node KubeConfig objects).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig, type RbacV1Subject, type V1PolicyRule } from "@kubernetes/client-node";
import { AGENT_LEASE_NAMESPACE } from "../../src/api/index.js";
import { asServiceAccount, uniqueName } from "../support/control-plane/cluster.js";

/** deploy/21-rbac-agent.yaml's ClusterRole rules. */
export function agentRules(): V1PolicyRule[] {
  const docs = parseAllDocuments(readFileSync("deploy/21-rbac-agent.yaml", "utf8")).map((d) => d.toJS() as { kind: string; rules?: V1PolicyRule[] });
  return docs.find((d) => d.kind === "ClusterRole")?.rules ?? [];
}

/** Creates a ClusterRole with the agent's rules bound to `subject`; returns its name. */
export async function bindAgentRole(admin: KubeConfig, subject: RbacV1Subject): Promise<string> {
  const name = uniqueName("netmedic-agent");
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createClusterRole({ body: { metadata: { name }, rules: agentRules() } });
  await rbac.createClusterRoleBinding({ body: { metadata: { name }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name }, subjects: [subject] } });
  return name;
}

/** A ServiceAccount bound to a copy of deploy/21-rbac-agent.yaml's ClusterRole rules. */
export async function agentIdentity(admin: KubeConfig): Promise<KubeConfig> {
  const namespace = uniqueName("netmedic-agent");
  await bindAgentRole(admin, { kind: "ServiceAccount", name: "agent", namespace });
  return asServiceAccount(admin, namespace, "agent");
}

/** The bearer token of a KubeConfig made by asServiceAccount. */
export function tokenOf(config: KubeConfig): string {
  const token = config.getCurrentUser()?.token;
  if (!token) throw new Error("no token in this KubeConfig");
  return token;
}

/** Writes a kubeconfig for the shared plane's server with the given cluster extras and user fields. */
export function writeKubeconfig(dir: string, name: string, server: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  const path = join(dir, `${name}.kubeconfig`);
  writeFileSync(path, stringify({
    apiVersion: "v1", kind: "Config",
    clusters: [{ name: "plane", cluster: { server, ...cluster } }], users: [{ name: "agent", user }],
    contexts: [{ name: "agent", context: { cluster: "plane", user: "agent" } }], "current-context": "agent",
  }), { mode: 0o600 });
  return path;
}

/** deploy/'s agents' Lease namespace and the agent's Role there (00-namespace.yaml, 21-rbac-agent.yaml). */
function shippedLeaseObjects(): { labels: Record<string, string>; rules: V1PolicyRule[] } {
  const docs = (file: string) => parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; rules?: V1PolicyRule[] });
  const namespace = docs("deploy/00-namespace.yaml").find((d) => d.kind === "Namespace" && d.metadata.name === AGENT_LEASE_NAMESPACE);
  const role = docs("deploy/21-rbac-agent.yaml").find((d) => d.kind === "Role" && d.metadata.namespace === AGENT_LEASE_NAMESPACE);
  if (!namespace || !role?.rules) throw new Error(`deploy/ ships no Namespace ${AGENT_LEASE_NAMESPACE} or no agent Role in it`);
  return { labels: namespace.metadata.labels ?? {}, rules: role.rules };
}

/**
 * Makes sure the agents' Lease namespace exists with deploy/'s labels (shared by every file on the
 * plane: created if missing, never deleted) and binds a copy of deploy/'s agent Role there to
 * `subject`; returns the Role's (and binding's) name for cleanup.
 */
export async function bindAgentLeaseRole(admin: KubeConfig, subject: RbacV1Subject): Promise<string> {
  const { labels, rules } = shippedLeaseObjects();
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: AGENT_LEASE_NAMESPACE, labels } } }).catch(async (error: { code?: number }) => {
    if (error.code !== 409) throw error;
    const existing = await core.readNamespace({ name: AGENT_LEASE_NAMESPACE });
    if (Object.entries(labels).some(([key, value]) => existing.metadata?.labels?.[key] !== value)) {
      await core.replaceNamespace({ name: AGENT_LEASE_NAMESPACE, body: { ...existing, metadata: { ...existing.metadata, labels: { ...existing.metadata?.labels, ...labels } } } });
    }
  });
  const name = uniqueName("netmedic-agent-heartbeat");
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({ namespace: AGENT_LEASE_NAMESPACE, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({ namespace: AGENT_LEASE_NAMESPACE, body: { metadata: { name }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name }, subjects: [subject] } });
  return name;
}

/** Removes what bindAgentLeaseRole made (the namespace stays: other files share it). */
export async function unbindAgentLeaseRole(admin: KubeConfig, name: string): Promise<void> {
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.deleteNamespacedRoleBinding({ name, namespace: AGENT_LEASE_NAMESPACE }).catch(() => undefined);
  await rbac.deleteNamespacedRole({ name, namespace: AGENT_LEASE_NAMESPACE }).catch(() => undefined);
}
