/**
 * Reads, once and read-only, everything `netmedic diagnose` needs from a live cluster:
 * Nodes, APIServices, konnectivity-agent pods and their recent logs, default/kubernetes Endpoints
 * and NetworkHealths (absent CRD = no agent reports). Never writes.
 */
import { ApiException, ApiregistrationV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import {
  API_GROUP, API_VERSION, KONNECTIVITY_DEFAULT_NAMESPACE, KONNECTIVITY_DEFAULT_SELECTOR, NETWORK_HEALTH_PLURAL, type NetworkHealth,
} from "../api/index.js";
import type { KubeAPIService, KubeEndpoints, KubeNode, KubePod, ObservationSources } from "../core/index.js";

/** Bounds on reading konnectivity-agent logs. */
export interface LogLimits {
  tailLines: number;
  limitBytes: number;
}

const DEFAULT_LOG_LIMITS: LogLimits = { tailLines: 50, limitBytes: 16384 };

async function optional<T>(read: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return fallback;
    throw error;
  }
}

/** Reads recent log lines of a pod; an unreadable log yields `error`, never an exception. */
export async function readPodLog(core: CoreV1Api, pod: KubePod, limits: LogLimits): Promise<{ lines: string[]; error?: string }> {
  try {
    const text = await core.readNamespacedPodLog({
      name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "", tailLines: limits.tailLines, limitBytes: limits.limitBytes,
    });
    return { lines: String(text).split("\n").filter((line) => line !== "") };
  } catch (error) {
    const message = error instanceof ApiException ? `HTTP ${error.code}` : (error as Error).message;
    return { lines: [], error: `logs unavailable: ${message}` };
  }
}

/** Reads a live cluster into ObservationSources stamped with `now`. */
export async function readCluster(kubeConfig: KubeConfig, now: string, limits: LogLimits = DEFAULT_LOG_LIMITS): Promise<ObservationSources> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const registration = kubeConfig.makeApiClient(ApiregistrationV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const [nodes, apiServices, pods, endpoints, healths] = await Promise.all([
    core.listNode(),
    registration.listAPIService(),
    core.listNamespacedPod({ namespace: KONNECTIVITY_DEFAULT_NAMESPACE, labelSelector: KONNECTIVITY_DEFAULT_SELECTOR }),
    optional(() => core.readNamespacedEndpoints({ name: "kubernetes", namespace: "default" }), undefined),
    optional(() => custom.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: NETWORK_HEALTH_PLURAL }), { items: [] }),
  ]);
  const konnectivityPods = pods.items as KubePod[];
  const logs: Record<string, { lines: string[]; error?: string }> = {};
  for (const pod of konnectivityPods) {
    logs[`${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`] = await readPodLog(core, pod, limits);
  }
  return {
    now,
    nodes: nodes.items as KubeNode[],
    apiServices: apiServices.items as KubeAPIService[],
    konnectivityPods,
    kubernetesEndpoints: endpoints as KubeEndpoints | undefined,
    networkHealths: ((healths as { items?: unknown[] }).items ?? []) as NetworkHealth[],
    logs,
  };
}
