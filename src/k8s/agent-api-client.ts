/**
 * The agent's two API calls on NetworkHealth — get and server-side apply of its status — over the
 * small node:https RestClient instead of client-node's NetworkHealthClient: client-node's import
 * alone costs ~80 MB RSS, paid on every node for two calls (issue 7). Same semantics as
 * NetworkHealthClient.get/applyStatus; the controller and the CLI keep using that one.
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
} from "../api/index.js";
import { loadRestCredentials } from "./rest-credentials.js";
import { ApiRequestError, RestClient, type RestClientOptions } from "./rest-client.js";
import { withoutEmptyStrings } from "./without-empty-strings.js";

const COLLECTION = `/apis/${API_GROUP}/${API_VERSION}/${NETWORK_HEALTH_PLURAL}`;

/** Reads NetworkHealth objects and applies their status under one field manager. */
export class AgentApiClient {
  /** @param fieldManager the SSA field manager of every status write (netmedic-agent by default). */
  constructor(private readonly rest: RestClient, private readonly fieldManager: string = FIELD_MANAGER_AGENT) {}

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
      if (error instanceof ApiRequestError && error.code === 404) return undefined;
      throw error;
    }
  }

  /**
   * Applies `status` (without empty strings) as this manager's complete intent for the status
   * fields it owns: server-side apply on the status subresource, force so a takeover works.
   */
  async applyStatus(name: string, status: NetworkHealthStatus): Promise<NetworkHealth> {
    const body = { apiVersion: NETWORK_HEALTH_API_VERSION, kind: NETWORK_HEALTH_KIND, metadata: { name }, status: withoutEmptyStrings(status) };
    const query = `fieldManager=${encodeURIComponent(this.fieldManager)}&force=true`;
    const path = `${COLLECTION}/${encodeURIComponent(name)}/status?${query}`;
    return this.rest.request<NetworkHealth>({ method: "PATCH", path, body, contentType: "application/apply-patch+yaml" });
  }

  /** Closes the idle keep-alive connection. */
  close(): void {
    this.rest.close();
  }
}
