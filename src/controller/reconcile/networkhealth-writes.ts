/**
 * The two API writes a reconcile makes to a node's NetworkHealth: the object's metadata (owner and
 * probe targets) and the controller's half of its status. Each waits for the API rate limit and
 * leaves what it wrote in the overlay, so the next reconcile reads it before the watch delivers it.
 */
import type { Logger } from "pino";
import { NETWORK_HEALTH_API_VERSION, NETWORK_HEALTH_KIND, PROBE_TARGETS_ANNOTATION, type NetworkHealth, type ProbeTargets } from "../../api/index.js";
import { encodeProbeTargets, type NodeReconcileResult } from "../../core/index.js";
import type { NetworkHealthClient } from "../../k8s/networkhealth-client.js";
import { withTimeout } from "../../k8s/request-options.js";
import type { ControllerMetrics } from "../metrics.js";
import type { StoredNode } from "./node-store.js";
import type { NetworkHealthOverlay } from "./status-overlay.js";

/** What the writes go through. */
export interface WriteDeps {
  overlay: NetworkHealthOverlay;
  client: Pick<NetworkHealthClient, "apply" | "applyStatus">;
  metrics: ControllerMetrics;
  /** Bound of each API write. */
  requestTimeoutMs: number;
  /** Waited on before each API request (the client-side rate limit). */
  beforeRequest: () => Promise<void>;
}

/** Whether `health` is owned (as controller) by this incarnation of `node`. */
export function ownedBy(health: NetworkHealth, node: StoredNode): boolean {
  return (health.metadata.ownerReferences ?? []).some((ref) => ref.uid === node.metadata?.uid && ref.controller === true && ref.kind === "Node");
}

/**
 * Applies the node's NetworkHealth object itself: metadata only (the ownerReference and the probe
 * targets' annotation); spec is the user's, status has its own writes. Server-side apply, so every
 * field this manager owns is in each body.
 */
export async function applyNetworkHealth(deps: WriteDeps, node: StoredNode, targets: ProbeTargets, existing: NetworkHealth | undefined, log: Logger): Promise<NetworkHealth> {
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

/**
 * Writes a decided status that the decision already staged in the overlay; a failed write takes
 * the staging back, so an order that was never written stops counting against maxConcurrent.
 */
export async function writeStatus(deps: WriteDeps, staged: NetworkHealth, result: NodeReconcileResult, log: Logger): Promise<void> {
  let written: NetworkHealth;
  try {
    await deps.beforeRequest();
    written = await deps.client.applyStatus(staged.metadata.name ?? "", result.status, withTimeout(deps.requestTimeoutMs));
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
