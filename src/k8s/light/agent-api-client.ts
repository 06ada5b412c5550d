/**
 * The agent's API calls on NetworkHealth — list and watch of its own object (a field selector on
 * metadata.name), get, and server-side apply of its status — over the small node:https RestClient
 * instead of client-node's NetworkHealthClient: client-node's import alone costs ~80 MB RSS, paid
 * on every node for a handful of calls. get/applyStatus have NetworkHealthClient's
 * semantics; the controller and the CLI keep using that one. Its one read outside NetworkHealth is
 * the node's Lease (nodeLeaseRenewTime), the kubelet's heartbeat the dead-man switch confirms a
 * re-point by.
 */
import {
  API_GROUP,
  API_VERSION,
  FIELD_MANAGER_AGENT,
  NETWORK_HEALTH_API_VERSION,
  NETWORK_HEALTH_KIND,
  NETWORK_HEALTH_PLURAL,
  type NetworkHealth,
  type NetworkHealthStatus,
} from "../../api/index.js";
import { loadRestCredentials } from "./rest-credentials.js";
import { hasCode, RestClient, type KubeStatus, type RestClientOptions } from "./rest-client.js";
import { withoutEmpty } from "../../core/without-empty.js";

const COLLECTION = `/apis/${API_GROUP}/${API_VERSION}/${NETWORK_HEALTH_PLURAL}`;

/** One watch event: a NetworkHealth, a BOOKMARK (only metadata.resourceVersion), or an ERROR's Status. */
export interface NetworkHealthEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: NetworkHealth & KubeStatus;
}

/** What a list of one object gives: the object (absent: undefined) and the snapshot to watch from. */
export interface OneObjectList {
  object: NetworkHealth | undefined;
  resourceVersion: string;
}

/** How one watch request runs. */
export interface WatchOptions {
  signal: AbortSignal;
  /** The server ends the watch after this long (the caller then resumes). */
  timeoutSeconds: number;
}

/** Where kubelets keep their heartbeat Leases, one per Node, same name. */
export const NODE_LEASE_NAMESPACE = "kube-node-lease";

const selectName = (name: string): string => `fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;

/** Reads NetworkHealth objects and applies their status under one field manager. */
export class AgentApiClient {
  /**
   * @param rest the connection, shared with the agent's Lease client (one keep-alive connection).
   * @param fieldManager the SSA field manager of every status write (netmedic-agent by default).
   */
  constructor(readonly rest: RestClient, private readonly fieldManager: string = FIELD_MANAGER_AGENT) {}

  /**
   * A client for the kubeconfig at `path`, or the default resolution (KUBECONFIG, ~/.kube/config,
   * in-cluster). Rejects with a one-line message when no supported credentials are found.
   */
  static async load(path?: string, options: RestClientOptions = {}): Promise<AgentApiClient> {
    const credentials = await loadRestCredentials(path);
    return new AgentApiClient(new RestClient(credentials, { userAgent: "netmedic-agent", ...options }));
  }

  /** Reads one NetworkHealth; `undefined` when it does not exist (404). Other errors carry `code`. */
  async get(name: string): Promise<NetworkHealth | undefined> {
    try {
      return await this.rest.request<NetworkHealth>({ method: "GET", path: `${COLLECTION}/${encodeURIComponent(name)}` });
    } catch (error) {
      if (hasCode(error, 404)) return undefined;
      throw error;
    }
  }

  /**
   * Lists the one NetworkHealth named `name` (field selector): a snapshot to watch from. Asked with
   * resourceVersion=0, so the apiserver answers from its watch cache, as client-go's reflectors and
   * the kubelet list: without it every list is a quorum read of every NetworkHealth from etcd,
   * filtered by name only in the apiserver, and 5,000 agents starting together (a rollout, a new
   * apiserver) ask for 5,000 × 5,000 objects — the apiserver then answers none of them in time.
   * The cache may be a moment behind etcd; the watch that resumes from the list's resourceVersion
   * delivers everything after it, so nothing written is missed.
   */
  async listOne(name: string): Promise<OneObjectList> {
    const list = await this.rest.request<{ metadata?: { resourceVersion?: string }; items?: NetworkHealth[] }>({ method: "GET", path: `${COLLECTION}?${selectName(name)}&resourceVersion=0` });
    return { object: list.items?.[0], resourceVersion: list.metadata?.resourceVersion ?? "" };
  }

  /**
   * Watches the NetworkHealth named `name` from `resourceVersion` (with bookmarks, so the position
   * stays fresh while the object is quiet); resolves when the server ends the watch or `signal`
   * aborts. A resourceVersion compacted away arrives as an ERROR event with code 410 (or an
   * ApiRequestError 410); lines that are not JSON are skipped.
   */
  async watchOne(name: string, resourceVersion: string, onEvent: (event: NetworkHealthEvent) => void, options: WatchOptions): Promise<void> {
    const query = `watch=true&${selectName(name)}&resourceVersion=${encodeURIComponent(resourceVersion)}&allowWatchBookmarks=true&timeoutSeconds=${options.timeoutSeconds}`;
    const onLine = (line: string): void => {
      let event: NetworkHealthEvent;
      try {
        event = JSON.parse(line) as NetworkHealthEvent;
      } catch {
        return;
      }
      if (event?.object) onEvent(event);
    };
    // Silence past the server's own timeout (plus slack) means a connection nobody will close.
    await this.rest.stream({ path: `${COLLECTION}?${query}`, onLine, signal: options.signal, idleTimeoutMs: (options.timeoutSeconds + 30) * 1000 });
  }

  /**
   * Applies `status` (without empty strings) as this manager's complete intent for the status
   * fields it owns: server-side apply on the status subresource, force so a takeover works.
   */
  async applyStatus(name: string, status: NetworkHealthStatus): Promise<NetworkHealth> {
    const body = { apiVersion: NETWORK_HEALTH_API_VERSION, kind: NETWORK_HEALTH_KIND, metadata: { name }, status: withoutEmpty(status) };
    const query = `fieldManager=${encodeURIComponent(this.fieldManager)}&force=true`;
    const path = `${COLLECTION}/${encodeURIComponent(name)}/status?${query}`;
    return this.rest.request<NetworkHealth>({ method: "PATCH", path, body, contentType: "application/apply-patch+yaml" });
  }

  /**
   * spec.renewTime of the Lease kube-node-lease/`node` — when its kubelet last heartbeated, by the
   * node's own clock — or undefined when the Lease does not exist (404) or carries no renewTime.
   * Other errors carry `code` (403 when the agent's Role in kube-node-lease is missing).
   */
  async nodeLeaseRenewTime(node: string): Promise<string | undefined> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases/${encodeURIComponent(node)}`;
    try {
      return (await this.rest.request<{ spec?: { renewTime?: string } }>({ method: "GET", path })).spec?.renewTime;
    } catch (error) {
      if (hasCode(error, 404)) return undefined;
      throw error;
    }
  }

  /** Closes the idle keep-alive connection. */
  close(): void {
    this.rest.close();
  }
}
