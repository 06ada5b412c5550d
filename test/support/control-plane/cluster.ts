/**
 * Test-side access to the shared control plane started by global-setup.ts, plus unique names so
 * test files stay isolated without restarting it.
 */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import type { SharedClusterInfo } from "./shared-control-plane.js";
import { NOT_PROVISIONED } from "./binaries.js";

/** The shared cluster with a ready admin KubeConfig. */
export interface TestCluster extends SharedClusterInfo {
  kubeConfig: KubeConfig;
}

/** The shared control plane; throws the one-line reason when it is not available. */
export function getTestCluster(): TestCluster {
  const path = process.env["NETMEDIC_TEST_CLUSTER"];
  if (!path) throw new Error(process.env["NETMEDIC_TEST_CLUSTER_ERROR"] ?? NOT_PROVISIONED);
  const info = JSON.parse(readFileSync(path, "utf8")) as SharedClusterInfo;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(info.kubeconfigPath);
  return { ...info, kubeConfig };
}

/** A DNS-1123 name unique to this test run: `${prefix}-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/**
 * A KubeConfig acting as ServiceAccount `namespace/name` (created if missing), with a token from the
 * TokenRequest API, against the cluster that `admin` points at. Its permissions are exactly the RBAC
 * bound to that ServiceAccount.
 */
export async function asServiceAccount(admin: KubeConfig, namespace: string, name: string): Promise<KubeConfig> {
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(ignoreConflict);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } }).catch(ignoreConflict);
  const request = await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const token = request.status?.token;
  if (!token) throw new Error(`no token issued for ${namespace}/${name}`);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error("admin kubeconfig has no cluster");
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [cluster], users: [{ name, token }], contexts: [{ name, cluster: cluster.name, user: name }], currentContext: name,
  });
  return config;
}

function ignoreConflict(error: unknown): void {
  if ((error as { code?: number }).code !== 409) throw error;
}
