/**
 * Builds the core's Observation from the informer caches, the write overlay and the log cache —
 * the same result as core's `buildObservation` (a unit test holds them equal), but with each
 * object's view memoized by object identity: the informer replaces an object on every change, so
 * an unchanged Node keeps its view and a reconcile costs O(nodes) lookups, not O(nodes) rebuilds.
 */
import type { NetworkHealth } from "../api/index.js";
import {
  apiServerEndpointsView, apiServiceView, konnectivityAgentView, nodeView,
  type APIServiceView, type KonnectivityAgentView, type KubeAPIService, type KubeEndpoints, type KubeNode, type KubePod, type NodeView, type Observation,
} from "../core/index.js";
import type { LogLines } from "./konnectivity-logs.js";
import { DEFAULT_PROBE_PORT, probeEndpointsByNode } from "./workloads.js";

type ProbePod = Parameters<typeof probeEndpointsByNode>[0][number];

/** The raw inputs, as the caches hold them. */
export interface CachedSources {
  nodes: readonly object[];
  apiServices: readonly object[];
  konnectivityPods: readonly object[];
  kubernetesEndpoints?: object;
  networkHealths: readonly NetworkHealth[];
  logs: Record<string, LogLines>;
  /** netmedic's probe pods, for status.targets.probeEndpoint. */
  probePods?: readonly object[];
}

/** Memoizes views per cached object; one instance lives as long as the caches. */
export class ObservationBuilder {
  private readonly nodes = new WeakMap<object, NodeView>();
  private readonly apiServices = new WeakMap<object, APIServiceView>();
  private readonly agents = new WeakMap<object, { log: LogLines | undefined; view: KonnectivityAgentView }>();

  /** The Observation at `now` of the given cached objects. */
  build(sources: CachedSources, now: Date): Observation {
    const networkHealth: Record<string, NetworkHealth> = {};
    for (const health of sources.networkHealths) if (health.metadata.name) networkHealth[health.metadata.name] = health;
    const konnectivityAgents = sources.konnectivityPods.map((pod) => this.agentView(pod as KubePod, sources.logs));
    return {
      now: now.toISOString(),
      nodes: sources.nodes.map((node) => memo(this.nodes, node, () => nodeView(node as KubeNode))).filter((node) => node.name !== ""),
      apiServices: sources.apiServices.map((s) => memo(this.apiServices, s, () => apiServiceView(s as KubeAPIService))).filter((s) => s.name !== ""),
      konnectivityAgents,
      konnectivityDeployed: konnectivityAgents.length > 0,
      apiServerEndpoints: sources.kubernetesEndpoints ? apiServerEndpointsView(sources.kubernetesEndpoints as KubeEndpoints) : undefined,
      networkHealth,
      probeEndpoints: sources.probePods ? probeEndpointsByNode(sources.probePods as ProbePod[], DEFAULT_PROBE_PORT) : undefined,
    };
  }

  private agentView(pod: KubePod, logs: Record<string, LogLines>): KonnectivityAgentView {
    const log = logs[`${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`];
    const cached = this.agents.get(pod);
    if (cached && cached.log === log) return cached.view;
    const view = konnectivityAgentView(pod, log?.lines ?? [], log?.error);
    this.agents.set(pod, { log, view });
    return view;
  }
}

function memo<V>(cache: WeakMap<object, V>, key: object, make: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    cache.set(key, value);
  }
  return value;
}
