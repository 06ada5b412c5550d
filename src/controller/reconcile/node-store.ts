/**
 * The read model of a reconcile: everything one pass over one node reads, opened once per pass
 * with one clock. The write overlay is laid over the NetworkHealth cache here and nowhere else, so
 * every reader (create, decide, the metrics, a terminal error's Event) sees what this controller
 * wrote the moment it wrote it, and "the other nodes' remediations" has one definition
 * (core's otherRemediations) for the controller and the CLI alike.
 */
import type { NetworkHealth, RemediationStatus } from "../../api/index.js";
import { otherRemediations, type KubeNode, type KubePod, type Observation } from "../../core/index.js";
import type { KonnectivityLogCache } from "./konnectivity-logs.js";
import type { VersionedList } from "./node-views.js";
import type { ObservationBuilder } from "./observation-builder.js";
import type { NetworkHealthOverlay } from "./status-overlay.js";

/** A Node as a reconcile reads it: the core's fields, its uid, and whether it is being deleted. */
export type StoredNode = KubeNode & { metadata?: { deletionTimestamp?: Date | string } };

/**
 * What the informer caches hold for reconciles. ClusterCaches is the real one; a test hands in
 * plain lists, so the reconcile is exercised without an apiserver.
 */
export interface ClusterReader {
  readonly nodes: VersionedList & { get(name: string): StoredNode | undefined };
  readonly apiServices: VersionedList;
  readonly konnectivityPods: VersionedList;
  readonly probePods: VersionedList;
  /** The default/kubernetes Endpoints (the live apiservers). */
  kubernetesEndpoints(): object | undefined;
  /** Node `name`'s cached NetworkHealth. */
  networkHealth(name: string): NetworkHealth | undefined;
  /** spec.renewTime of node `name`'s agent heartbeat Lease (RFC 3339); undefined when none is cached. */
  agentLeaseRenewTime(name: string): string | undefined;
  /** Every cached NetworkHealth. */
  listNetworkHealths(): readonly NetworkHealth[];
}

/**
 * One pass's view of node `name`. `now` is fixed when the pass opens it: every time the pass
 * decides and writes is that instant. The other accessors read the caches when called, so the
 * pass's synchronous decision sees what is current then (an agent's report, or another node's
 * order, may land while the pass awaits a log read).
 */
export interface NodeStore {
  readonly name: string;
  readonly now: Date;
  /** The Node; undefined once it is gone. */
  node(): StoredNode | undefined;
  /** The node's NetworkHealth with what this controller wrote laid over the cache. */
  health(): NetworkHealth | undefined;
  /** The konnectivity-agent pods scheduled on the node. */
  konnectivityPods(): readonly KubePod[];
  /** When the node's agent last renewed its heartbeat Lease (RFC 3339); undefined when unknown. */
  agentLeaseRenewTime(): string | undefined;
  /** The Observation the core decides from: the node's own NetworkHealth and the log excerpts read so far. */
  observation(): Observation;
  /** The remediation statuses of the other existing nodes (maxConcurrent's and the breaker's counts). */
  otherRemediations(): Array<RemediationStatus | undefined>;
}

/** What a NodeStore is made of; one set per controller. */
export interface NodeStoreParts {
  caches: ClusterReader;
  overlay: NetworkHealthOverlay;
  observations: ObservationBuilder;
  logs: KonnectivityLogCache;
}

/** Opens NodeStores over the caches, the write overlay and the log cache. */
export class NodeStores {
  constructor(private readonly parts: NodeStoreParts) {}

  /** The read model of one pass over node `name` at `now`. */
  open(name: string, now: Date): NodeStore {
    const { caches, observations, logs } = this.parts;
    // Excerpts of pods that are gone must not linger as evidence (once per pod-cache version).
    logs.retain(() => caches.konnectivityPods.list() as readonly KubePod[], caches.konnectivityPods.version);
    return {
      name,
      now,
      node: () => caches.nodes.get(name),
      health: () => this.health(name),
      konnectivityPods: () => observations.podsOfNode(name, caches.konnectivityPods),
      agentLeaseRenewTime: () => caches.agentLeaseRenewTime(name),
      observation: () => observations.buildForNode(name, {
        nodes: caches.nodes, apiServices: caches.apiServices, konnectivityPods: caches.konnectivityPods, probePods: caches.probePods,
        logs: { version: logs.version, snapshot: () => logs.snapshot() },
        kubernetesEndpoints: caches.kubernetesEndpoints(),
        health: this.health(name),
        agentLeaseRenewTime: caches.agentLeaseRenewTime(name),
      }, now),
      otherRemediations: () => otherRemediations(this.networkHealths(), name, (other) => caches.nodes.get(other) !== undefined),
    };
  }

  /** Node `name`'s NetworkHealth as this controller knows it: the cache, or what it wrote since. */
  health(name: string): NetworkHealth | undefined {
    return this.parts.overlay.resolve(name, this.parts.caches.networkHealth(name));
  }

  /** Every NetworkHealth as this controller knows it (written ones the cache has not seen included). */
  networkHealths(): NetworkHealth[] {
    return this.parts.overlay.merge(this.parts.caches.listNetworkHealths());
  }
}
