/**
 * Which nodes a watch event concerns (the work queue's keys are node names). Level-triggered: the
 * key only says "look at this node again"; the reconcile reads everything fresh from the caches.
 */

/** What a watch event was about. */
export type WatchedResource = "Node" | "NetworkHealth" | "AgentLease" | "KonnectivityPod" | "ProbePod" | "APIService" | "Endpoints" | "ConfigMap";

/** The structural fields the mapping reads. */
export interface WatchedObject {
  metadata?: { name?: string };
  spec?: { nodeName?: string } | unknown;
}

/** Marker for "every node": cluster-wide evidence changed. */
export const ALL_NODES = Symbol("all nodes");

/**
 * Node → itself; NetworkHealth and the agent's heartbeat Lease → their name (same as their Node); probe pod → its node; konnectivity-agent pod → its node,
 * or every node while unscheduled (it may explain any node's "No agent available"); APIService,
 * Endpoints and config changes → every node.
 */
export function nodesForEvent(resource: WatchedResource, object: WatchedObject): string[] | typeof ALL_NODES {
  const name = object.metadata?.name;
  switch (resource) {
    case "Node":
    case "NetworkHealth":
    case "AgentLease":
      return name ? [name] : [];
    case "ProbePod":
      return (object.spec as { nodeName?: string } | undefined)?.nodeName ? [(object.spec as { nodeName: string }).nodeName] : [];
    case "KonnectivityPod": {
      const nodeName = (object.spec as { nodeName?: string } | undefined)?.nodeName;
      return nodeName ? [nodeName] : ALL_NODES;
    }
    case "APIService":
    case "Endpoints":
    case "ConfigMap":
      return ALL_NODES;
  }
}
