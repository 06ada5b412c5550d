/**
 * One reconcile of one node: ensure its NetworkHealth exists (owned by the Node), observe the
 * cluster from the caches, let the pure core decide, apply the status once if it changed, then
 * emit the transitions as Events. A steady node costs no API call at all (apart from a log read
 * once per TTL when the node runs a konnectivity agent).
 */
import type { V1Node } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { NETWORK_HEALTH_API_VERSION, NETWORK_HEALTH_KIND, type NetworkHealth } from "../api/index.js";
import { reconcileNode, type NodeReconcileResult } from "../core/index.js";
import type { EventRecorder, EventTarget } from "../k8s/event-recorder.js";
import type { NetworkHealthClient } from "../k8s/networkhealth-client.js";
import { withTimeout } from "../k8s/request-options.js";
import type { ClusterCaches } from "./cluster-caches.js";
import type { ControllerConfig } from "./config.js";
import type { KonnectivityLogCache } from "./konnectivity-logs.js";
import type { ControllerMetrics } from "./metrics.js";
import type { ObservationBuilder } from "./observation-builder.js";
import type { NetworkHealthOverlay } from "./status-overlay.js";

/** Everything a reconcile reads and writes through. */
export interface ReconcilerDeps {
  caches: ClusterCaches;
  overlay: NetworkHealthOverlay;
  logs: KonnectivityLogCache;
  observations: ObservationBuilder;
  client: NetworkHealthClient;
  events: EventRecorder;
  metrics: ControllerMetrics;
  config: () => ControllerConfig;
  now: () => Date;
  /** Bound of each API write. */
  requestTimeoutMs: number;
}

/** What the work loop needs back. */
export interface ReconcileOutcome {
  wrote: boolean;
  requeueAfterSeconds?: number;
}

/** The Event targets of a node: its NetworkHealth and the Node itself. */
export function eventTargets(node: V1Node, health: NetworkHealth | undefined): EventTarget[] {
  const name = node.metadata?.name ?? "";
  const nodeTarget = { apiVersion: "v1", kind: "Node", name, uid: node.metadata?.uid };
  if (!health) return [nodeTarget];
  return [{ apiVersion: NETWORK_HEALTH_API_VERSION, kind: NETWORK_HEALTH_KIND, name, uid: health.metadata.uid }, nodeTarget];
}

function ownedBy(health: NetworkHealth, node: V1Node): boolean {
  return (health.metadata.ownerReferences ?? []).some((ref) => ref.uid === node.metadata?.uid && ref.controller === true && ref.kind === "Node");
}

/** The node's NetworkHealth, created (metadata and ownerReference only; spec is the user's) when missing. */
async function ensureNetworkHealth(deps: ReconcilerDeps, node: V1Node, log: Logger): Promise<NetworkHealth> {
  const name = node.metadata?.name ?? "";
  const existing = deps.overlay.resolve(name, deps.caches.networkHealths.get(name) as NetworkHealth | undefined);
  if (existing && ownedBy(existing, node)) return existing;
  const owner = { apiVersion: "v1", kind: "Node", name, uid: node.metadata?.uid ?? "", controller: true, blockOwnerDeletion: true };
  const body: NetworkHealth = { apiVersion: NETWORK_HEALTH_API_VERSION, kind: NETWORK_HEALTH_KIND, metadata: { name, ownerReferences: [owner] } };
  const applied = await deps.client.apply(body, withTimeout(deps.requestTimeoutMs));
  deps.overlay.remember(applied);
  log.info({ created: !existing, uid: applied.metadata.uid }, "networkhealth ensured");
  return applied;
}

async function writeStatus(deps: ReconcilerDeps, name: string, result: NodeReconcileResult, log: Logger): Promise<void> {
  const written = await deps.client.applyStatus(name, result.status, withTimeout(deps.requestTimeoutMs));
  deps.overlay.remember(written);
  deps.metrics.statusWrites.inc();
  for (const record of result.records) deps.metrics.remediations.inc({ action: record.action, result: record.result });
  const ready = result.status.conditions?.find((condition) => condition.type === "Ready");
  log.info({ resourceVersion: written.metadata.resourceVersion, ready: ready?.reason, rootCause: result.status.diagnosis?.rootCause }, "status applied");
}

/** Reconciles node `name`; throws API errors for the work loop to classify. */
export async function reconcileNodeByName(deps: ReconcilerDeps, name: string, log: Logger): Promise<ReconcileOutcome> {
  const node = deps.caches.nodes.get(name);
  if (!node || node.metadata?.deletionTimestamp) {
    // The garbage collector removes its NetworkHealth through the ownerReference.
    deps.overlay.forget(name);
    return { wrote: false };
  }
  const health = await ensureNetworkHealth(deps, node, log);
  if (health.metadata.deletionTimestamp) return { wrote: false };
  const pods = deps.caches.konnectivityPods.list();
  deps.logs.retain(pods);
  await deps.logs.refresh(pods.filter((pod) => pod.spec?.nodeName === name));
  const observation = deps.observations.build({
    nodes: deps.caches.nodes.list(),
    apiServices: deps.caches.apiServices.list(),
    konnectivityPods: pods,
    kubernetesEndpoints: deps.caches.endpoints.get("kubernetes", "default"),
    networkHealths: deps.overlay.merge(deps.caches.listNetworkHealths()),
    logs: deps.logs.snapshot(),
    probePods: deps.caches.probePods.list(),
  }, deps.now());
  const result = reconcileNode({ observation, node: name, policy: deps.config().policy });
  if (result.changed) await writeStatus(deps, name, result, log);
  const targets = eventTargets(node, health);
  for (const event of result.events) await deps.events.record(targets, event);
  return { wrote: result.changed, requeueAfterSeconds: result.requeueAfterSeconds };
}
