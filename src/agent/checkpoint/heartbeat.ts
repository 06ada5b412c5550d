/**
 * The second confirmation of a re-point: after the agent rewrote the server of k3s/RKE2's node agent
 * and restarted it, an apiserver answering from the node says nothing about the restarted kubelet —
 * it may be stuck on a server that cannot serve it, and the node goes NotReady 40 s later. The
 * cheapest honest signal that it is not: the node's Lease in kube-node-lease, which the kubelet
 * renews every 10 s, renewed after the change. Read through the API (a node cut off cannot read it
 * either, and is rolled back), compared with the agent's clock — the kubelet stamps renewTime with
 * the same node's clock, so no skew between machines enters.
 */
import { NODE_LEASE_NAMESPACE } from "../../k8s/light/agent-api-client.js";
import { sleep } from "../backoff.js";
import type { Confirmation } from "./confirm.js";

/** Reads when the node's kubelet last renewed its Lease: RFC 3339, or undefined when there is none. */
export interface NodeLeaseReader {
  nodeLeaseRenewTime(node: string): Promise<string | undefined>;
}

/** Pause between reads: a renewal (every 10 s) is seen within 2 s, at five light GETs per renewal at most. */
export const LEASE_POLL_MS = 2000;

/** One read, bounded by `ms` (a request to an unreachable apiserver must not outlive the deadline). */
async function readOnce(leases: NodeLeaseReader, node: string, ms: number): Promise<{ renewTime?: string; detail: string }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  try {
    const renewTime = await Promise.race([leases.nodeLeaseRenewTime(node), late]);
    return renewTime ? { renewTime, detail: `last renewed ${renewTime}` } : { detail: "no Lease" };
  } catch (error) {
    return { detail: `cannot read it: ${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads the Lease of `node` until its renewTime is later than `since` (confirmed) or `deadline`
 * passes (not confirmed; the detail names the Lease and what was last seen).
 */
export async function confirmHeartbeat(leases: NodeLeaseReader, node: string, since: Date, deadline: Date, clock: () => Date, signal?: AbortSignal): Promise<Confirmation> {
  const lease = `${NODE_LEASE_NAMESPACE}/${node}`;
  let last = "not read before the deadline";
  for (;;) {
    const left = deadline.getTime() - clock().getTime();
    if (left <= 0) return { confirmed: false, detail: `the kubelet did not renew its Lease ${lease} after the change (${last})` };
    const read = await readOnce(leases, node, left);
    if (read.renewTime && Date.parse(read.renewTime) > since.getTime()) return { confirmed: true, detail: `the kubelet renewed its Lease ${lease} at ${read.renewTime}` };
    last = read.detail;
    const pause = Math.min(LEASE_POLL_MS, deadline.getTime() - clock().getTime());
    if (pause > 0) await sleep(pause, signal);
    if (signal?.aborted) return { confirmed: false, detail: `${last} (agent stopping)` };
  }
}
