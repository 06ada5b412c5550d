/**
 * One reconcile pass over one node, in three stretches around one read model (NodeStore, opened
 * once with the pass's clock):
 *
 * 1. prepare (may await): create the NetworkHealth when missing — owned by the Node, carrying the
 *    probe targets — which ends the pass; else re-read the node's konnectivity-agent log when its
 *    pod-network probe is missing or stale (once per TTL);
 * 2. decide and stage (synchronous by type): the pure core decides from the store, and a changed
 *    status is laid over the cache before anything else can run;
 * 3. carry out (may await): write the status once if it changed, re-apply the annotation if the
 *    targets moved, queue the transitions as Events.
 *
 * A steady node costs no API call at all. Several passes run at once (for different nodes); what
 * keeps maxConcurrent and the breaker exact is stretch 2: the next pass to decide already counts an
 * order just decided, because reading the others' orders and staging this one happen in one call.
 */
import type { Logger } from "pino";
import { NETWORK_HEALTH_API_VERSION, NETWORK_HEALTH_KIND, type NetworkHealth } from "../../api/index.js";
import {
  clusterRemediationState, diagnoseNode, encodeProbeTargets, firstStatusHoldSecondsLeft, konnectivityLogNeeded, reconcileNode, storedProbeTargets,
  type NodeReconcileResult, type RemediationPolicy,
} from "../../core/index.js";
import type { EventRecorder, EventTarget } from "../../k8s/event-recorder.js";
import type { ControllerConfig } from "../config/config.js";
import type { KonnectivityLogCache } from "./konnectivity-logs.js";
import { applyNetworkHealth, ownedBy, writeStatus, type WriteDeps } from "./networkhealth-writes.js";
import type { NodeStore, NodeStores, StoredNode } from "./node-store.js";
import type { NetworkHealthOverlay } from "./status-overlay.js";

const ADOPTION_REQUEUE_SECONDS = 1;

/** Everything a reconcile reads and writes through. */
export interface ReconcilerDeps extends WriteDeps {
  stores: Pick<NodeStores, "open">;
  logs: KonnectivityLogCache;
  events: Pick<EventRecorder, "record">;
  config: () => ControllerConfig;
  now: () => Date;
}

/** What the work loop needs back. */
export interface ReconcileOutcome {
  wrote: boolean;
  requeueAfterSeconds?: number;
}

/** One pass's decision about the NetworkHealth it read. */
export interface Decision {
  health: NetworkHealth;
  result: NodeReconcileResult;
  /** The object with the decided status, staged in the overlay; undefined when the status did not change. */
  staged?: NetworkHealth;
}

/** The Event targets of a node: its NetworkHealth and the Node itself. */
export function eventTargets(node: StoredNode, health: NetworkHealth | undefined): EventTarget[] {
  const name = node.metadata?.name ?? "";
  const nodeTarget = { apiVersion: "v1", kind: "Node", name, uid: node.metadata?.uid };
  if (!health) return [nodeTarget];
  return [{ apiVersion: NETWORK_HEALTH_API_VERSION, kind: NETWORK_HEALTH_KIND, name, uid: health.metadata.uid }, nodeTarget];
}

/**
 * Decides node `store.name`'s status and, when it changed, stages it in the overlay. It returns a
 * plain value, not a Promise: nothing can be awaited between reading the other nodes' orders and
 * staging this one, so a pass over another node running meanwhile counts this order at once. That
 * is what maxConcurrent and the breaker rest on; keep it synchronous. Undefined when the
 * NetworkHealth is gone (deleted while the pass awaited: its delete event brings the node back).
 */
export function decideAndStage(store: NodeStore, overlay: Pick<NetworkHealthOverlay, "stage">, policy: RemediationPolicy): Decision | undefined {
  const health = store.health();
  if (!health) return undefined;
  const cluster = clusterRemediationState(() => store.otherRemediations(), store.now.toISOString(), policy);
  const result = reconcileNode({ observation: store.observation(), node: store.name, policy, cluster });
  if (!result.changed) return { health, result };
  const staged = { ...health, status: { ...health.status, ...result.status } };
  overlay.stage(staged);
  return { health, result, staged };
}

/**
 * Creates (or adopts) the node's NetworkHealth with the probe targets diagnosed from the store, and
 * ends the pass: a new object's first status waits for its agent's report (core's first-status
 * hold) and is decided when the hold ends or the report arrives; any other is decided by the pass
 * the requeue brings a second later (not at once: a Node this pass cannot own must not spin).
 */
async function createNetworkHealth(deps: ReconcilerDeps, store: NodeStore, node: StoredNode, existing: NetworkHealth | undefined, policy: RemediationPolicy, log: Logger): Promise<ReconcileOutcome> {
  const targets = diagnoseNode(store.observation(), store.name, policy.staleAfterSeconds)?.targets ?? {};
  const created = await applyNetworkHealth(deps, node, targets, existing, log);
  const hold = firstStatusHoldSecondsLeft(created, store.now.toISOString(), policy.staleAfterSeconds);
  return { wrote: false, requeueAfterSeconds: hold ?? ADOPTION_REQUEUE_SECONDS };
}

/** Re-reads the node's konnectivity-agent logs when stale, or drops them while they are not needed (core konnectivityLogNeeded). */
async function refreshLogs(deps: ReconcilerDeps, store: NodeStore, health: NetworkHealth, policy: RemediationPolicy): Promise<void> {
  const pods = store.konnectivityPods();
  if (konnectivityLogNeeded(health, store.now.toISOString(), policy.staleAfterSeconds, store.agentLeaseRenewTime())) await deps.logs.refresh(pods);
  else deps.logs.drop(pods);
}

/** Carries a decision out: the staged status written, the annotation re-applied if the targets moved, the Events queued. */
async function carryOut(deps: ReconcilerDeps, node: StoredNode, decision: Decision, log: Logger): Promise<ReconcileOutcome> {
  const { health, result, staged } = decision;
  if (staged) await writeStatus(deps, staged, result, log);
  if (storedProbeTargets(health) !== encodeProbeTargets(result.targets)) await applyNetworkHealth(deps, node, result.targets, health, log);
  const targets = eventTargets(node, health);
  for (const event of result.events) deps.events.record(targets, event);
  return { wrote: staged !== undefined, requeueAfterSeconds: result.requeueAfterSeconds };
}

/** Reconciles node `name`; throws API errors for the work loop to classify. */
export async function reconcileNodeByName(deps: ReconcilerDeps, name: string, log: Logger): Promise<ReconcileOutcome> {
  const store = deps.stores.open(name, deps.now());
  const policy = deps.config().policy;
  const node = store.node();
  if (!node || node.metadata?.deletionTimestamp) {
    // The garbage collector removes its NetworkHealth through the ownerReference.
    deps.overlay.forget(name);
    return { wrote: false };
  }
  const health = store.health();
  if (!health || !ownedBy(health, node)) return createNetworkHealth(deps, store, node, health, policy, log);
  if (health.metadata.deletionTimestamp) return { wrote: false };
  await refreshLogs(deps, store, health, policy);
  const decision = decideAndStage(store, deps.overlay, policy);
  return decision ? carryOut(deps, node, decision, log) : { wrote: false };
}
