/**
 * The agent's heartbeat Lease (coordination.k8s.io/v1, AGENT_LEASE_NAMESPACE/<node>) over the light
 * RestClient, renewed the way a kubelet renews kube-node-lease/<node>: the client keeps the Lease it
 * last read or wrote and replaces it at that resourceVersion, so a renewal at steady state is one
 * PUT. With none known it GETs, and creates the Lease on 404; a 409 (someone else wrote it, or a
 * timed-out PUT that did land) and a 404 of a known Lease (deleted) re-read and retry once. Exported for the bench's stand-in agents,
 * which renew exactly the same way.
 */
import { AGENT_LEASE_LABELS, AGENT_LEASE_NAMESPACE } from "../../api/index.js";
import { hasCode, type RestClient } from "./rest-client.js";


/** The fields of a Lease the agent reads and writes. */
export interface AgentLease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; [key: string]: unknown };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; [key: string]: unknown };
}

/** `now` as a Kubernetes MicroTime (RFC 3339 with microseconds: 2026-12-04T17:00:00.000000Z). */
export function microTime(now: Date): string {
  return now.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}


/** Renews one node's heartbeat Lease; keeps the last version it saw between renewals. */
export class AgentLeaseClient {
  private last: AgentLease | undefined;
  private readonly collection: string;

  /** @param namespace where the Lease lives: AGENT_LEASE_NAMESPACE but in tests of a namespace that does not exist. */
  constructor(private readonly rest: RestClient, private readonly namespace: string = AGENT_LEASE_NAMESPACE) {
    this.collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  }

  /**
   * Sets holderIdentity = `node`, leaseDurationSeconds and renewTime = `now` on the Lease named
   * `node`, creating it when it does not exist; resolves to the Lease written. Rejects with
   * ApiRequestError (`code`: 403 without RBAC, 404 when the namespace does not exist, 409 after the
   * one retry) or the network error.
   */
  async renew(node: string, leaseDurationSeconds: number, now: Date): Promise<AgentLease> {
    const spec = { holderIdentity: node, leaseDurationSeconds, renewTime: microTime(now) };
    const known = this.last !== undefined;
    try {
      return await this.writeOnce(node, spec);
    } catch (error) {
      // 409: a stale resourceVersion, or a Lease created meanwhile; 404 on a known Lease: deleted.
      // Either way the version kept is wrong: read again and retry once.
      const stale = hasCode(error, 409) || (known && hasCode(error, 404));
      if (stale || hasCode(error, 404)) this.last = undefined;
      if (!stale) throw error;
      return this.writeOnce(node, spec);
    }
  }

  private async writeOnce(node: string, spec: AgentLease["spec"]): Promise<AgentLease> {
    this.last ??= await this.get(node);
    const lease = this.last ? await this.replace(this.last, spec) : await this.create(node, spec);
    this.last = trimmed(lease);
    return lease;
  }

  private async get(node: string): Promise<AgentLease | undefined> {
    try {
      return trimmed(await this.rest.request<AgentLease>({ method: "GET", path: `${this.collection}/${encodeURIComponent(node)}` }));
    } catch (error) {
      if (hasCode(error, 404)) return undefined;
      throw error;
    }
  }

  private create(node: string, spec: AgentLease["spec"]): Promise<AgentLease> {
    const body: AgentLease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: node, namespace: this.namespace, labels: { ...AGENT_LEASE_LABELS } }, spec };
    return this.rest.request<AgentLease>({ method: "POST", path: this.collection, body });
  }

  private replace(known: AgentLease, spec: AgentLease["spec"]): Promise<AgentLease> {
    const body: AgentLease = { ...known, metadata: { ...known.metadata, labels: { ...known.metadata.labels, ...AGENT_LEASE_LABELS } }, spec: { ...known.spec, ...spec } };
    return this.rest.request<AgentLease>({ method: "PUT", path: `${this.collection}/${encodeURIComponent(known.metadata.name)}`, body });
  }
}

/** The Lease without managedFields: a PUT that omits them keeps the server's, and they are most of its size. */
function trimmed(lease: AgentLease | undefined): AgentLease | undefined {
  if (!lease) return undefined;
  const { managedFields: _managed, ...metadata } = lease.metadata;
  return { ...lease, apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata };
}
