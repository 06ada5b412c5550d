/**
 * Turns a change in one of the controller's caches into the nodes to reconcile. A NetworkHealth
 * update that only carries an agent heartbeat stops here (HeartbeatFilter): it cannot change a
 * verdict, and at fleet scale it is most of the watch traffic. So does an agent's Lease renewal
 * while its node is judged AgentReporting=True: a renewal only pushes staleness further away, which
 * the node's requeue at the staleness moment reads (core's agentRelookSeconds). A Node change also
 * tells the observation builder, so an unchanged node keeps its cached observation; an update that
 * left the node's view as it was (the kubelet's status update every 5 minutes moves only heartbeat
 * times) stops there too.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { NetworkHealth } from "../../api/index.js";
import type { ChangeType } from "../../k8s/supervised-informer.js";
import type { ControllerMetrics } from "../metrics.js";
import type { ObservationBuilder } from "../reconcile/observation-builder.js";
import type { NetworkHealthOverlay } from "../reconcile/status-overlay.js";
import { ALL_NODES, nodesForEvent, type WatchedResource } from "./event-keys.js";
import { HeartbeatFilter } from "./heartbeat-filter.js";
import { judgedReporting } from "../../core/index.js";

/** What the router reads and where it sends the nodes to reconcile. */
export interface CacheChangeDeps {
  overlay: NetworkHealthOverlay;
  observations: ObservationBuilder;
  metrics: ControllerMetrics;
  /** The Node cache's version (an observation is valid for one version). */
  nodesVersion: () => number;
  /** Every node's name (an event about a cluster-wide object concerns them all). */
  allNodes: () => string[];
  /** Node `name`'s NetworkHealth as this controller knows it (cache and write overlay resolved). */
  health: (name: string) => NetworkHealth | undefined;
  enqueue: (names: string[]) => void;
}

/** Routes cache changes to the work queue. */
export class CacheChangeRouter {
  private readonly heartbeats = new HeartbeatFilter();

  constructor(private readonly deps: CacheChangeDeps) {}

  /** Enqueues the nodes `object`'s change concerns; nothing for a heartbeat-only NetworkHealth, Node or Lease update. */
  onChange(resource: WatchedResource, change: ChangeType, object: KubernetesObject): void {
    if (resource === "NetworkHealth" && this.heartbeatOnly(change, object as unknown as NetworkHealth)) return;
    if (resource === "Node" && !this.deps.observations.nodeChanged(change, object, this.deps.nodesVersion())) return;
    if (resource === "AgentLease" && this.renewalOfReportingNode(change, object)) return;
    const names = nodesForEvent(resource, object);
    this.deps.enqueue(names === ALL_NODES ? this.deps.allNodes() : names);
  }

  /** Follows NetworkHealth changes for the heartbeat filter; true when this one needs no reconcile (counted). */
  private heartbeatOnly(change: ChangeType, health: NetworkHealth): boolean {
    if (change === "delete") {
      this.deps.overlay.forgetDeleted(health);
      this.heartbeats.forget(health.metadata.name ?? "");
      return false;
    }
    if (!this.heartbeats.heartbeatOnly(health)) return false;
    this.deps.metrics.heartbeatsSkipped.inc({ resource: "networkhealths" });
    return true;
  }

  /**
   * True (counted) for a Lease added or renewed while its node's NetworkHealth says AgentReporting
   * True: the renewal cannot change that verdict. A node not judged Reporting (Stale, NotRunning,
   * awaiting its first report, no status yet) is reconciled — the renewal may be what revives it —
   * and so is a deleted Lease (the agent's liveness may now rest on its report alone).
   */
  private renewalOfReportingNode(change: ChangeType, lease: KubernetesObject): boolean {
    if (change === "delete") return false;
    if (!judgedReporting(this.deps.health(lease.metadata?.name ?? ""))) return false;
    this.deps.metrics.heartbeatsSkipped.inc({ resource: "agent-leases" });
    return true;
  }
}
