/**
 * Applies DaemonSets with server-side apply under the controller's field manager: idempotent,
 * so re-applying an unchanged spec is a no-op on the server, and a changed config rolls out.
 */
import { AppsV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1DaemonSet } from "@kubernetes/client-node";

/** Applies each DaemonSet (SSA, force) and returns the server's objects. */
export async function applyDaemonSets(kubeConfig: KubeConfig, fieldManager: string, daemonSets: V1DaemonSet[]): Promise<V1DaemonSet[]> {
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const options = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
  const applied: V1DaemonSet[] = [];
  for (const daemonSet of daemonSets) {
    const { name = "", namespace = "" } = daemonSet.metadata ?? {};
    applied.push(await apps.patchNamespacedDaemonSet({ name, namespace, body: daemonSet, fieldManager, force: true }, options));
  }
  return applied;
}
