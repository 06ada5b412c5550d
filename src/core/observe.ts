/**
 * Assembles an Observation from raw Kubernetes objects (a snapshot file, a live read, or caches).
 * Pure: the caller supplies the objects, the konnectivity-agent log lines and the time.
 */
import { KONNECTIVITY_DEFAULT_NAMESPACE, type NetworkHealth } from "../api/index.js";
import { namespacedName } from "./object-key.js";
import type { Observation } from "./observation.js";
import {
  apiServerEndpointsView, apiServiceView, konnectivityAgentView, nodeView,
  type KubeAPIService, type KubeEndpoints, type KubeNode, type KubePod,
} from "./views.js";

/** Raw inputs of an Observation. */
export interface ObservationSources {
  now: string;
  nodes: KubeNode[];
  apiServices: KubeAPIService[];
  /** konnectivity-agent pods (already selected by namespace and label). */
  konnectivityPods: KubePod[];
  /** The default/kubernetes Endpoints, when known. */
  kubernetesEndpoints?: KubeEndpoints;
  networkHealths: NetworkHealth[];
  /** Log lines by "namespace/name" of konnectivity-agent pods, with an error when unreadable. */
  logs?: Record<string, { lines: string[]; error?: string }>;
  /** podIP:port of the netmedic probe pod on each node. */
  probeEndpoints?: Record<string, string>;
  /** Force konnectivity on (e.g. k0s, where the server is not a pod); default: agents were found. */
  konnectivityDeployed?: boolean;
  /** spec.renewTime of each node's agent heartbeat Lease, by node name (Observation.agentLeaseRenewTimes). */
  agentLeaseRenewTimes?: Record<string, string>;
}

/** Builds the Observation the core diagnoses. */
export function buildObservation(sources: ObservationSources): Observation {
  const networkHealth: Record<string, NetworkHealth> = {};
  for (const health of sources.networkHealths) {
    if (health.metadata.name) networkHealth[health.metadata.name] = health;
  }
  const konnectivityAgents = sources.konnectivityPods.map((pod) => {
    // A pod without a namespace comes only from a snapshot file (the API always sets it); it is read
    // as a konnectivity agent, and those live in kube-system unless configured otherwise.
    const log = sources.logs?.[namespacedName(pod.metadata, KONNECTIVITY_DEFAULT_NAMESPACE)];
    return konnectivityAgentView(pod, log?.lines ?? [], log?.error);
  });
  return {
    now: sources.now,
    nodes: sources.nodes.map(nodeView).filter((node) => node.name !== ""),
    apiServices: sources.apiServices.map(apiServiceView).filter((service) => service.name !== ""),
    konnectivityAgents,
    konnectivityDeployed: sources.konnectivityDeployed ?? konnectivityAgents.length > 0,
    apiServerEndpoints: sources.kubernetesEndpoints ? apiServerEndpointsView(sources.kubernetesEndpoints) : undefined,
    networkHealth,
    probeEndpoints: sources.probeEndpoints,
    ...(sources.agentLeaseRenewTimes ? { agentLeaseRenewTimes: sources.agentLeaseRenewTimes } : {}),
  };
}
