/**
 * From a bound ServiceAccount token to a node: the token's Pod (user extra
 * `authentication.kubernetes.io/pod-name` / `pod-uid`, which kube-apiserver sets for tokens bound
 * to a Pod — projected tokens, which kubelets request with the Pod as bound object) and that Pod's
 * `spec.nodeName`. A Pod's node never changes once it is bound and a UID is never reused, so the
 * answer is cached by UID: the agents' heartbeats cost no API call after the first.
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { CallerNode } from "../../core/node-identity.js";
import type { ReviewUser } from "./admission-review.js";

/** The user extra keys kube-apiserver sets for a token bound to a Pod. */
export const POD_NAME_EXTRA = "authentication.kubernetes.io/pod-name";
export const POD_UID_EXTRA = "authentication.kubernetes.io/pod-uid";

/** Reads one Pod's uid and node; `undefined` when it does not exist. */
export type PodReader = (namespace: string, name: string) => Promise<{ uid: string; nodeName: string } | undefined>;

/** A PodReader over the API (the controller's Role may get pods in its own namespace). */
export function apiPodReader(kubeConfig: KubeConfig): PodReader {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return async (namespace, name) => {
    try {
      const pod = await core.readNamespacedPod({ namespace, name });
      return { uid: pod.metadata?.uid ?? "", nodeName: pod.spec?.nodeName ?? "" };
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  };
}

const MAX_CACHED = 20_000;

/** Resolves a caller to its node through its token's Pod, caching by Pod UID. */
export class PodNodes {
  private readonly byUid = new Map<string, string>();

  /** @param read how a Pod is read when its UID is not cached yet */
  constructor(private readonly read: PodReader) {}

  /** The node of the Pod that `user`'s token is bound to in `namespace`, or why there is none. */
  async nodeOf(namespace: string, user: ReviewUser): Promise<CallerNode> {
    const podName = user.extra[POD_NAME_EXTRA]?.[0];
    const podUid = user.extra[POD_UID_EXTRA]?.[0];
    if (!podName || !podUid) return { unknown: "the token is not bound to a Pod (run the agent with a projected ServiceAccount token)" };
    const cached = this.byUid.get(podUid);
    if (cached) return { node: cached };
    let pod: Awaited<ReturnType<PodReader>>;
    try {
      pod = await this.read(namespace, podName);
    } catch (error) {
      return { unknown: `cannot read Pod ${namespace}/${podName}: ${(error as Error).message.split("\n")[0]}` };
    }
    if (!pod || pod.uid !== podUid) return { unknown: `Pod ${namespace}/${podName} (uid ${podUid}) no longer exists` };
    if (!pod.nodeName) return { unknown: `Pod ${namespace}/${podName} is not bound to a node` };
    // Map keeps insertion order: dropping the oldest keeps memory bounded on a churning fleet.
    if (this.byUid.size >= MAX_CACHED) this.byUid.delete(this.byUid.keys().next().value as string);
    this.byUid.set(podUid, pod.nodeName);
    return { node: pod.nodeName };
  }
}
