/**
 * One reconcile of one node: ensure its NetworkHealth exists (owned by the Node, carrying the probe
 * targets), observe the cluster from the caches, let the pure core decide, apply the status once if
 * it changed (and the targets' annotation if they moved), then queue the transitions as Events. A
 * steady node costs no API call at all (a konnectivity-agent log is read, once per TTL, only while
 * the node's own pod-network probe is missing or stale). Every request waits for the API rate
 * limit.
 *
 * Several of these run at once (for different nodes). What keeps maxConcurrent and the breaker
 * exact is that observing, deciding and staging the decision in the overlay happen in one
 * synchronous stretch: the next reconcile to observe already counts an order just decided.
 */
import type { V1Node } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { NETWORK_HEALTH_API_VERSION, NETWORK_HEALTH_KIND, type NetworkHealth } from "../api/index.js";
import { clusterRemediationState, diagnoseNode, encodeProbeTargets, konnectivityLogNeeded, reconcileNode, storedProbeTargets, type NodeReconcileResult, type Observation } from "../core/index.js";
import { PROBE_TARGETS_ANNOTATION, type ProbeTargets, type RemediationStatus } from "../api/index.js";
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
  /** Waited on before each API request (the client-side rate limit). */
  beforeRequest: () => Promise<void>;
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

/**
 * Applies the node's NetworkHealth object itself: metadata only (the ownerReference and the probe
 * targets' annotation); spec is the user's, status has its own writes. Server-side apply, so every
 * field this manager owns is in each body.
 */
async function applyNetworkHealth(deps: ReconcilerDeps, node: V1Node, targets: ProbeTargets, existing: NetworkHealth | undefined, log: Logger): Promise<NetworkHealth> {
  const name = node.metadata?.name ?? "";
  const owner = { apiVersion: "v1", kind: "Node", name, uid: node.metadata?.uid ?? "", controller: true, blockOwnerDeletion: true };
  const metadata = { name, ownerReferences: [owner], annotations: { [PROBE_TARGETS_ANNOTATION]: encodeProbeTargets(targets) } };
  const body: NetworkHealth = { apiVersion: NETWORK_HEALTH_API_VERSION, kind: NETWORK_HEALTH_KIND, metadata };
  await deps.beforeRequest();
  const applied = await deps.client.apply(body, withTimeout(deps.requestTimeoutMs));
  deps.overlay.remember(applied);
  log.info({ created: !existing, uid: applied.metadata.uid }, "networkhealth applied");
  return applied;
}

/** The node's NetworkHealth, created with its probe targets when missing (or not owned by this Node). */
async function ensureNetworkHealth(deps: ReconcilerDeps, node: V1Node, log: Logger): Promise<NetworkHealth> {
  const name = node.metadata?.name ?? "";
  const existing = deps.overlay.resolve(name, deps.caches.networkHealths.get(name) as NetworkHealth | undefined);
  if (existing && ownedBy(existing, node)) return existing;
  const observation = observeNode(deps, name, undefined, deps.now());
  const targets = diagnoseNode(observation, name, deps.config().policy.staleAfterSeconds)?.targets ?? {};
  return applyNetworkHealth(deps, node, targets, existing, log);
}

/** Writes the decided status; it is staged in the overlay (synchronously, by the caller's turn) until the write returns. */
async function writeStatus(deps: ReconcilerDeps, health: NetworkHealth, result: NodeReconcileResult, log: Logger): Promise<void> {
  const name = health.metadata.name ?? "";
  const staged = { ...health, status: { ...health.status, ...result.status } };
  deps.overlay.stage(staged);
  let written: NetworkHealth;
  try {
    await deps.beforeRequest();
    written = await deps.client.applyStatus(name, result.status, withTimeout(deps.requestTimeoutMs));
  } catch (error) {
    deps.overlay.unstage(staged);
    throw error;
  }
  deps.overlay.remember(written);
  deps.metrics.statusWrites.inc();
  for (const record of result.records) deps.metrics.remediations.inc({ action: record.action, result: record.result });
  const ready = result.status.conditions?.find((condition) => condition.type === "Ready");
  log.info({ resourceVersion: written.metadata.resourceVersion, ready: ready?.reason, rootCause: result.status.diagnosis?.rootCause }, "status applied");
}

function podsSource(deps: ReconcilerDeps) {
  return { version: deps.caches.konnectivityPods.version, list: () => deps.caches.konnectivityPods.list() };
}

/** Re-reads the node's konnectivity-agent logs when stale, or drops them while they are not needed (core konnectivityLogNeeded). */
async function refreshLogs(deps: ReconcilerDeps, name: string, health: NetworkHealth): Promise<void> {
  const pods = podsSource(deps);
  deps.logs.retain(pods.list, pods.version);
  const nodePods = deps.observations.podsOfNode(name, pods);
  if (konnectivityLogNeeded(health, deps.now().toISOString(), deps.config().policy.staleAfterSeconds)) await deps.logs.refresh(nodePods);
  else deps.logs.drop(nodePods);
}

/** The node's Observation from the caches (cluster-wide parts shared across reconciles). */
function observeNode(deps: ReconcilerDeps, name: string, health: NetworkHealth | undefined, now: Date): Observation {
  const { caches, logs } = deps;
  return deps.observations.buildForNode(name, {
    nodes: caches.nodes, apiServices: caches.apiServices, konnectivityPods: podsSource(deps), probePods: caches.probePods,
    logs: { version: logs.version, snapshot: () => logs.snapshot() },
    kubernetesEndpoints: caches.endpoints.get("kubernetes", "default"),
    health,
  }, now);
}

/** The other existing nodes' remediation statuses (cache and overlay): read only when a count is needed. */
function otherRemediations(deps: ReconcilerDeps, name: string): Array<RemediationStatus | undefined> {
  return deps.overlay.merge(deps.caches.listNetworkHealths())
    .filter((other) => other.metadata.name !== name && deps.caches.nodes.get(other.metadata.name ?? "") !== undefined)
    .map((other) => other.status?.remediation);
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
  await refreshLogs(deps, name, health);
  // From here to the staging of the decision (in writeStatus) nothing is awaited: see the file comment.
  const now = deps.now();
  const policy = deps.config().policy;
  const current = deps.overlay.resolve(name, deps.caches.networkHealths.get(name) as NetworkHealth | undefined) ?? health;
  const observation = observeNode(deps, name, current, now);
  const cluster = clusterRemediationState(() => otherRemediations(deps, name), now.toISOString(), policy);
  const result = reconcileNode({ observation, node: name, policy, cluster });
  if (result.changed) await writeStatus(deps, current, result, log);
  if (storedProbeTargets(current) !== encodeProbeTargets(result.targets)) await applyNetworkHealth(deps, node, result.targets, current, log);
  const targets = eventTargets(node, current);
  for (const event of result.events) deps.events.record(targets, event);
  return { wrote: result.changed, requeueAfterSeconds: result.requeueAfterSeconds };
}
