// The agent's identity on the shared plane: a ServiceAccount bound to a copy of
// deploy/21-rbac-agent.yaml's ClusterRole, and kubeconfig files for the agent's own API client
// (which reads files, not client-node KubeConfig objects).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { RbacAuthorizationV1Api, type KubeConfig, type RbacV1Subject, type V1PolicyRule } from "@kubernetes/client-node";
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
