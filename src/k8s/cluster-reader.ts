/**
 * Reads, once and read-only, everything `netmedic diagnose` needs from a live cluster:
 * Nodes, APIServices, konnectivity-agent pods and their recent logs, default/kubernetes Endpoints,
 * NetworkHealths (absent CRD = no agent reports) and the agents' heartbeat Leases (none readable =
 * the reports alone judge liveness, as with agents of an older release). Never writes.
 */
import { ApiException, ApiregistrationV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1LeaseList } from "@kubernetes/client-node";
import {
  AGENT_LEASE_NAMESPACE, API_GROUP, API_VERSION, KONNECTIVITY_DEFAULT_NAMESPACE, KONNECTIVITY_DEFAULT_SELECTOR, NETWORK_HEALTH_PLURAL, type NetworkHealth,
} from "../api/index.js";
import { namespacedName, type KubeAPIService, type KubeEndpoints, type KubeNode, type KubePod, type ObservationSources } from "../core/index.js";
import { readPodLogTail, type PodLogLimits, type PodLogResult } from "./pod-log-reader.js";

// A konnectivity-agent log is read through the kubelet, which may be the very thing that is broken:
// each read is bounded in lines, bytes and time so one dead kubelet cannot hang the diagnosis.
const DEFAULT_LOG_LIMITS: PodLogLimits = { tailLines: 50, limitBytes: 16384, timeoutMs: 5000 };

async function optional<T>(read: () => Promise<T>, fallback: T, absentCodes: readonly number[] = [404]): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ApiException && absentCodes.includes(error.code)) return fallback;
    throw error;
  }
}

/** renewTime by node name from the agents' Leases (typed a Date, V1MicroTime; client-node 1.4 leaves the wire's string). */
function renewTimes(leases: V1LeaseList): Record<string, string> {
  const times: Record<string, string> = {};
  for (const lease of leases.items) {
    const renewTime = lease.spec?.renewTime as Date | string | undefined;
    if (lease.metadata?.name && renewTime) times[lease.metadata.name] = renewTime instanceof Date ? renewTime.toISOString() : renewTime;
  }
  return times;
}

/** Reads a live cluster into ObservationSources stamped with `now`. */
export async function readCluster(kubeConfig: KubeConfig, now: string, limits: PodLogLimits = DEFAULT_LOG_LIMITS): Promise<ObservationSources> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const registration = kubeConfig.makeApiClient(ApiregistrationV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const noLeases: V1LeaseList = { items: [] };
  const [nodes, apiServices, pods, endpoints, healths, leases] = await Promise.all([
    core.listNode(),
    registration.listAPIService(),
    core.listNamespacedPod({ namespace: KONNECTIVITY_DEFAULT_NAMESPACE, labelSelector: KONNECTIVITY_DEFAULT_SELECTOR }),
    optional(() => core.readNamespacedEndpoints({ name: "kubernetes", namespace: "default" }), undefined),
    optional(() => custom.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: NETWORK_HEALTH_PLURAL }), { items: [] }),
    // A user who may not read them (403) still gets a diagnosis, judged by the reports alone.
    optional(() => kubeConfig.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: AGENT_LEASE_NAMESPACE }), noLeases, [403, 404]),
  ]);
  const konnectivityPods = pods.items as KubePod[];
  const logs: Record<string, PodLogResult> = {};
  for (const pod of konnectivityPods) {
    const { namespace = "", name = "" } = pod.metadata ?? {};
    logs[namespacedName({ namespace, name })] = await readPodLogTail(core, namespace, name, limits);
  }
  return {
    now,
    nodes: nodes.items as KubeNode[],
    apiServices: apiServices.items as KubeAPIService[],
    konnectivityPods,
    kubernetesEndpoints: endpoints as KubeEndpoints | undefined,
    networkHealths: ((healths as { items?: unknown[] }).items ?? []) as NetworkHealth[],
    logs,
    agentLeaseRenewTimes: renewTimes(leases),
  };
}
