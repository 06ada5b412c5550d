/**
 * Honest kubelet stand-ins (there are no kubelets here): register a Node, keep it Ready by
 * heartbeating its status and its kube-node-lease Lease as a 1.20 kubelet does, stop heartbeating to
 * let the real node-lifecycle controller mark it NotReady, and mark Pods Running.
 * startLeaseHeartbeat is the quiet variant (a 1.20 kubelet with NodeLease whose status never
 * changes): only the Lease is renewed, so the Node itself is never written and watchers of Nodes
 * see no update events.
 */
import { CoordinationV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node } from "@kubernetes/client-node";

/** How to register a Node. */
export interface NodeSpec {
  name: string;
  internalIP?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  podCIDR?: string;
}

const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

function readyCondition(now: string) {
  return { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: now, lastTransitionTime: now };
}

/** Creates the Node and posts a Ready status once (no periodic heartbeat: see startHeartbeat). */
export async function createReadyNode(kubeConfig: KubeConfig, spec: NodeSpec): Promise<V1Node> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.createNode({
    body: { metadata: { name: spec.name, labels: { "kubernetes.io/hostname": spec.name, ...spec.labels }, annotations: spec.annotations }, spec: { podCIDR: spec.podCIDR } },
  });
  return postStatus(kubeConfig, spec);
}

async function postStatus(kubeConfig: KubeConfig, spec: NodeSpec): Promise<V1Node> {
  const now = new Date().toISOString();
  const addresses = [{ type: "InternalIP", address: spec.internalIP ?? "10.213.255.1" }, { type: "Hostname", address: spec.name }];
  // Capacity as a small real node reports it: without it the real scheduler binds nothing.
  const capacity = { cpu: "4", memory: "8Gi", pods: "110" };
  const body = { status: { addresses, conditions: [readyCondition(now)], capacity, allocatable: capacity } };
  return kubeConfig.makeApiClient(CoreV1Api).patchNodeStatus({ name: spec.name, body }, MERGE);
}

async function renewLease(kubeConfig: KubeConfig, name: string, ownerUid?: string): Promise<void> {
  const leases = kubeConfig.makeApiClient(CoordinationV1Api);
  // renewTime is a MicroTime: the apiserver rejects (400) anything but 6 fractional digits.
  const renewTime = new Date().toISOString().replace(/Z$/, "000Z") as unknown as Date;
  const spec = { holderIdentity: name, leaseDurationSeconds: 40, renewTime };
  try {
    const lease = await leases.readNamespacedLease({ name, namespace: "kube-node-lease" });
    await leases.replaceNamespacedLease({ name, namespace: "kube-node-lease", body: { ...lease, spec: { ...lease.spec, ...spec } } });
  } catch (error) {
    if ((error as { code?: number }).code !== 404) throw error;
    // Owned by the Node, as the kubelet's: the garbage collector removes it with the Node.
    const ownerReferences = ownerUid ? [{ apiVersion: "v1", kind: "Node", name, uid: ownerUid }] : undefined;
    await leases.createNamespacedLease({ namespace: "kube-node-lease", body: { metadata: { name, ownerReferences }, spec } });
  }
}

/** A running heartbeat; `stop()` ends it (the node-lifecycle controller then marks the Node Unknown). */
export interface Heartbeat {
  stop(): void;
  /** Errors of the last beat, if it failed (the heartbeat keeps trying). */
  lastError(): Error | undefined;
}

/** Runs `beat` now and every `intervalMs`, remembering the last failure (the beating goes on). */
function repeatBeat(beat: () => Promise<void>, intervalMs: number): Heartbeat {
  let lastError: Error | undefined;
  const once = async () => {
    try {
      await beat();
      lastError = undefined;
    } catch (error) {
      lastError = error as Error;
    }
  };
  void once();
  const timer = setInterval(() => void once(), intervalMs);
  return { stop: () => clearInterval(timer), lastError: () => lastError };
}

/** Heartbeats `spec`'s Node status and Lease every `intervalMs` (first beat immediately). */
export function startHeartbeat(kubeConfig: KubeConfig, spec: NodeSpec, intervalMs = 5000): Heartbeat {
  return repeatBeat(async () => void (await Promise.all([postStatus(kubeConfig, spec), renewLease(kubeConfig, spec.name)])), intervalMs);
}

/**
 * Keeps Node `name` Ready the way a 1.20 kubelet with NodeLease does when nothing about the node
 * changes: renews its kube-node-lease Lease every `intervalMs` (the kubelet's 10 s, a quarter of the
 * 40 s lease) and never writes the Node. The node-lifecycle controller counts a renewal as a
 * heartbeat, so the Node stays Ready under the upstream 40 s grace without update events.
 */
export function startLeaseHeartbeat(kubeConfig: KubeConfig, name: string, intervalMs = 10_000): Heartbeat {
  let ownerUid: string | undefined;
  return repeatBeat(async () => {
    ownerUid ??= (await kubeConfig.makeApiClient(CoreV1Api).readNode({ name })).metadata?.uid;
    await renewLease(kubeConfig, name, ownerUid);
  }, intervalMs);
}

/** Marks a Pod Running and Ready with the given pod IP (as its kubelet would). */
export async function markPodRunning(kubeConfig: KubeConfig, namespace: string, name: string, podIP = "10.244.0.10"): Promise<void> {
  const now = new Date().toISOString();
  const body = {
    status: {
      phase: "Running", podIP, podIPs: [{ ip: podIP }], startTime: now,
      conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }, { type: "ContainersReady", status: "True", lastTransitionTime: now }],
    },
  };
  await kubeConfig.makeApiClient(CoreV1Api).patchNamespacedPodStatus({ name, namespace, body }, MERGE);
}

/** The Node's Ready condition status ("True", "False", "Unknown", or undefined). */
export async function nodeReadyStatus(kubeConfig: KubeConfig, name: string): Promise<string | undefined> {
  const node = await kubeConfig.makeApiClient(CoreV1Api).readNode({ name });
  return node.status?.conditions?.find((c) => c.type === "Ready")?.status;
}
