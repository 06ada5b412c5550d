/**
 * What the controller's informer caches drop from every object before keeping it. A cache holds
 * every Node, konnectivity-agent Pod and NetworkHealth of the cluster for the process's lifetime,
 * so fields nothing reads cost memory at cluster scale: managedFields (server-side apply
 * bookkeeping, often larger than the object's spec) on everything, and on Nodes the container image
 * list and volume lists a real kubelet reports (tens of KB per node); on Pods everything but the
 * few fields read (core's KubePod, the probe endpoint, the node a change enqueues). Same idea as
 * client-go's informer TransformFunc / controller-runtime's TransformStripManagedFields.
 * What is kept has its strings shared (shared-strings.ts; equal values, so unobservable): the caches
 * hold thousands of objects repeating the same values.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { shareStrings } from "./shared-strings.js";

const NODE_STATUS_UNUSED = ["images", "volumesAttached", "volumesInUse"] as const;

/** Any API object: its metadata may carry managedFields, whatever its declared type says. */
type ApiObject = { metadata?: object };

/** Returns `object` without its managedFields, strings shared; never changes what a field of it reads. */
export function trimForCache<T extends ApiObject>(object: T): T {
  return shareStrings(withoutManagedFields(object));
}

function withoutManagedFields<T extends ApiObject>(object: T): T {
  if (!object || typeof object !== "object") return object;
  const metadata: { managedFields?: unknown } = { ...object.metadata };
  delete metadata.managedFields;
  return { ...object, metadata };
}

/**
 * Returns a Node without its managedFields, image list and volume lists, strings shared; never
 * changes what a field of it reads.
 */
export function trimNodeForCache<T extends KubernetesObject & { status?: object }>(node: T): T {
  const trimmed = withoutManagedFields(node);
  if (!trimmed?.status) return shareStrings(trimmed);
  const status: Record<string, unknown> = { ...trimmed.status };
  for (const field of NODE_STATUS_UNUSED) delete status[field];
  return shareStrings({ ...trimmed, status });
}

interface CachedPod {
  spec?: { nodeName?: string; containers?: Array<{ name?: string; command?: string[]; args?: string[] }> };
  status?: { phase?: string; podIP?: string; conditions?: unknown[] };
}

/**
 * Returns a Pod reduced to what the controller reads — metadata (without managedFields), the node,
 * each container's name, command and args (the konnectivity server address), phase, pod IP and
 * conditions (Ready), strings shared — never changing what a field of it reads. A DaemonSet pod's
 * volumes, env, probes, tolerations, affinity and container statuses are ~3/4 of its size, and the
 * cache holds two pods per node.
 */
export function trimPodForCache<T extends KubernetesObject & CachedPod>(pod: T): T {
  const trimmed = withoutManagedFields(pod);
  if (!trimmed || typeof trimmed !== "object") return trimmed;
  const { spec, status } = pod;
  const containers = spec?.containers?.map(({ name, command, args }) => ({ name, command, args }));
  return shareStrings({
    apiVersion: trimmed.apiVersion, kind: trimmed.kind, metadata: trimmed.metadata,
    ...(spec ? { spec: { nodeName: spec.nodeName, ...(containers ? { containers } : {}) } } : {}),
    ...(status ? { status: { phase: status.phase, podIP: status.podIP, conditions: status.conditions } } : {}),
  } as T);
}

/** What the controller reads of an agent's heartbeat Lease. */
interface CachedLease {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
  spec?: { renewTime?: Date | string | null };
}

/**
 * Returns a Lease reduced to its identity (name, namespace, uid, resourceVersion: the watch resumes
 * from it) and spec.renewTime as an RFC 3339 string — client-node types it V1MicroTime, a Date,
 * though version 1.4 leaves the wire's MicroTime string; either is kept as a string — which is all the controller reads of an agent's heartbeat
 * Lease. One per node, and every renewal replaces it.
 */
export function trimLeaseForCache<T extends KubernetesObject & CachedLease>(lease: T): T {
  if (!lease || typeof lease !== "object") return lease;
  const { name, namespace, resourceVersion, uid } = lease.metadata ?? {};
  const renewTime = lease.spec?.renewTime;
  const renewed = renewTime instanceof Date ? renewTime.toISOString() : renewTime ?? undefined;
  return shareStrings({
    apiVersion: lease.apiVersion, kind: lease.kind, metadata: { name, namespace, resourceVersion, uid },
    spec: renewed === undefined ? {} : { renewTime: renewed },
  } as T);
}
