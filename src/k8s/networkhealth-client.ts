import {
  ApiException,
  type ConfigurationOptions,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import {
  API_GROUP,
  API_VERSION,
  NETWORK_HEALTH_API_VERSION,
  NETWORK_HEALTH_KIND,
  NETWORK_HEALTH_PLURAL,
  type NetworkHealth,
  type NetworkHealthStatus,
} from "../api/index.js";
import { withoutEmpty } from "../core/without-empty.js";

/**
 * Typed access to NetworkHealth objects. Status writes are server-side apply under the caller's own
 * field manager, so the controller and the agent each own their disjoint status fields: an apply
 * that omits a field this manager owned removes it, and never touches the other manager's fields.
 */
export class NetworkHealthClient {
  private readonly api: CustomObjectsApi;

  /** @param fieldManager the SSA field manager every write of this client uses. */
  constructor(kubeConfig: KubeConfig, private readonly fieldManager: string) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** Reads one NetworkHealth; `undefined` when it does not exist (404). */
  async get(name: string, options?: ConfigurationOptions): Promise<NetworkHealth | undefined> {
    try {
      const params = { group: API_GROUP, version: API_VERSION, plural: NETWORK_HEALTH_PLURAL, name };
      return (await this.api.getClusterCustomObject(params, options)) as NetworkHealth;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  /**
   * Applies `status` as this manager's complete intent for the status fields it owns
   * (server-side apply on the status subresource, force so a takeover from a previous owner works).
   * `options` (e.g. a timeout) are chained before the apply content type.
   */
  async applyStatus(name: string, status: NetworkHealthStatus, options?: ConfigurationOptions): Promise<NetworkHealth> {
    const body = { apiVersion: NETWORK_HEALTH_API_VERSION, kind: NETWORK_HEALTH_KIND, metadata: { name }, status: withoutEmpty(status) };
    const params = {
      group: API_GROUP,
      version: API_VERSION,
      plural: NETWORK_HEALTH_PLURAL,
      name,
      body,
      fieldManager: this.fieldManager,
      force: true,
    };
    const apply = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply, options);
    return (await this.api.patchClusterCustomObjectStatus(params, apply)) as NetworkHealth;
  }

  /** Applies the object's metadata and spec (creation and ownerReference) under this manager. */
  async apply(object: NetworkHealth, options?: ConfigurationOptions): Promise<NetworkHealth> {
    const params = {
      group: API_GROUP,
      version: API_VERSION,
      plural: NETWORK_HEALTH_PLURAL,
      name: object.metadata.name ?? "",
      body: object,
      fieldManager: this.fieldManager,
      force: true,
    };
    const apply = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply, options);
    return (await this.api.patchClusterCustomObject(params, apply)) as NetworkHealth;
  }
}
