/**
 * The controller's view of the cluster: one supervised informer per watched resource. Reconciles
 * read only these caches (plus the write overlay), never a list per reconcile. All replicas keep
 * them warm, so a new leader starts with a synced view.
 */
import {
  ApiregistrationV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject,
  type V1APIService, type V1Endpoints, type V1Lease, type V1Node, type V1Pod,
} from "@kubernetes/client-node";
import { AGENT_LEASE_NAMESPACE, API_GROUP, API_VERSION, NETWORK_HEALTH_PLURAL, type NetworkHealth } from "../../api/index.js";
import { trimForCache, trimLeaseForCache, trimNodeForCache, trimPodForCache } from "../../k8s/cache-trim.js";
import { SupervisedInformer, type ChangeType, type ListPage } from "../../k8s/supervised-informer.js";
import { withTimeout } from "../../k8s/request-options.js";
import type { KonnectivityConfig } from "../config/config.js";
import type { WatchedResource } from "../runtime/event-keys.js";
import type { ClusterReader } from "./node-store.js";
import { COMPONENT_LABEL } from "../workloads/workloads.js";

/** How informers recover, and who hears about changes. */
export interface CacheHooks {
  restartDelayMs: (attempt: number) => number;
  onRestart: (resource: string, reason: string, delayMs: number) => void;
  /** Called once per informer as it is made: its restart counter is exported at 0 from the start. */
  watching?: (resource: string) => void;
  onChange: (resource: WatchedResource, change: ChangeType, object: KubernetesObject) => void;
  watchTimeoutSeconds?: number;
}

const LIST_TIMEOUT_MS = 60_000;

/** The caches a reconcile reads. */
export class ClusterCaches implements ClusterReader {
  readonly nodes: SupervisedInformer<V1Node>;
  readonly apiServices: SupervisedInformer<V1APIService>;
  readonly endpoints: SupervisedInformer<V1Endpoints>;
  readonly networkHealths: SupervisedInformer<KubernetesObject>;
  /** netmedic's own probe pods (its namespace), for each node's probe-targets probeEndpoint. */
  readonly probePods: SupervisedInformer<V1Pod>;
  /** The agents' heartbeat Leases (netmedic-node-lease), trimmed to name and renewTime. */
  readonly agentLeases: SupervisedInformer<V1Lease>;
  private konnectivity: SupervisedInformer<V1Pod>;
  private konnectivityConfig: KonnectivityConfig;
  private readonly core: CoreV1Api;
  private started = false;

  constructor(private readonly kubeConfig: KubeConfig, konnectivity: KonnectivityConfig, ownNamespace: string, private readonly hooks: CacheHooks) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    const registration = kubeConfig.makeApiClient(ApiregistrationV1Api);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const timeout = (signal: AbortSignal) => withTimeout(LIST_TIMEOUT_MS, undefined, signal);
    this.nodes = this.informer("Node", "nodes", "/api/v1/nodes", (signal, page) => this.core.listNode(page, timeout(signal)), {}, trimNodeForCache);
    this.apiServices = this.informer("APIService", "apiservices", "/apis/apiregistration.k8s.io/v1/apiservices", (signal, page) => registration.listAPIService(page, timeout(signal)));
    const fieldSelector = "metadata.name=kubernetes";
    this.endpoints = this.informer("Endpoints", "endpoints", "/api/v1/namespaces/default/endpoints",
      (signal, page) => this.core.listNamespacedEndpoints({ namespace: "default", fieldSelector, ...page }, timeout(signal)), { fieldSelector });
    const group = { group: API_GROUP, version: API_VERSION, plural: NETWORK_HEALTH_PLURAL };
    this.networkHealths = this.informer("NetworkHealth", "networkhealths", `/apis/${API_GROUP}/${API_VERSION}/${NETWORK_HEALTH_PLURAL}`,
      async (signal, page) => (await custom.listClusterCustomObject({ ...group, ...page }, timeout(signal))) as KubernetesListObject<KubernetesObject>);
    this.konnectivityConfig = konnectivity;
    this.konnectivity = this.konnectivityInformer(konnectivity);
    const probeSelector = `${COMPONENT_LABEL}=probe`;
    this.probePods = this.informer("ProbePod", "probe-pods", `/api/v1/namespaces/${ownNamespace}/pods`,
      (signal, page) => this.core.listNamespacedPod({ namespace: ownNamespace, labelSelector: probeSelector, ...page }, timeout(signal)), { labelSelector: probeSelector }, trimPodForCache);
    const coordination = kubeConfig.makeApiClient(CoordinationV1Api);
    this.agentLeases = this.informer("AgentLease", "agent-leases", `/apis/coordination.k8s.io/v1/namespaces/${AGENT_LEASE_NAMESPACE}/leases`,
      (signal, page) => coordination.listNamespacedLease({ namespace: AGENT_LEASE_NAMESPACE, ...page }, timeout(signal)), {}, trimLeaseForCache);
  }

  /** konnectivity-agent pods (namespace and selector from the config). */
  get konnectivityPods(): SupervisedInformer<V1Pod> {
    return this.konnectivity;
  }

  /** The NetworkHealth objects in the cache. */
  listNetworkHealths(): NetworkHealth[] {
    return this.networkHealths.list() as unknown as NetworkHealth[];
  }

  /** Node `name`'s cached NetworkHealth. */
  networkHealth(name: string): NetworkHealth | undefined {
    return this.networkHealths.get(name) as NetworkHealth | undefined;
  }

  /** spec.renewTime of node `name`'s agent heartbeat Lease, as cached (RFC 3339); undefined when there is none. */
  agentLeaseRenewTime(name: string): string | undefined {
    const renewTime = this.agentLeases.get(name, AGENT_LEASE_NAMESPACE)?.spec?.renewTime;
    return renewTime === undefined ? undefined : String(renewTime);
  }

  /** The default/kubernetes Endpoints. */
  kubernetesEndpoints(): V1Endpoints | undefined {
    return this.endpoints.get("kubernetes", "default");
  }

  /** Starts every informer; does not wait for the sync. */
  async start(): Promise<void> {
    this.started = true;
    await Promise.all(this.all().map((informer) => informer.start()));
  }

  /**
   * Resolves when every cache holds a complete list, the Lease cache's first list having been
   * tried: without it a node whose report is old but whose Lease is fresh would be judged Stale
   * for a moment. A failed Lease list (403: a deploy/ without the Lease RBAC) does not hold the
   * controller back — it keeps retrying with backoff, and the reports alone count meanwhile.
   */
  async waitForSync(): Promise<void> {
    await Promise.all([...this.required().map((informer) => informer.waitForSync()), this.agentLeases.waitForFirstList()]);
  }

  /** Whether every cache the verdicts need holds a complete list (the readiness gate; the Lease cache is optional). */
  get synced(): boolean {
    return this.required().every((informer) => informer.synced);
  }

  /** Stops every informer. */
  async stop(): Promise<void> {
    this.started = false;
    await Promise.all(this.all().map((informer) => informer.stop()));
  }

  /** Follows a config change of the konnectivity namespace or selector by re-watching the pods. */
  async setKonnectivity(config: KonnectivityConfig): Promise<void> {
    const previous = this.konnectivityConfig;
    this.konnectivityConfig = config;
    if (previous.namespace === config.namespace && previous.selector === config.selector) return;
    const old = this.konnectivity;
    this.konnectivity = this.konnectivityInformer(config);
    await old.stop();
    if (this.started) await this.konnectivity.start();
  }

  private konnectivityInformer(config: KonnectivityConfig): SupervisedInformer<V1Pod> {
    const { namespace, selector: labelSelector } = config;
    return this.informer("KonnectivityPod", "konnectivity-pods", `/api/v1/namespaces/${namespace}/pods`,
      (signal, page) => this.core.listNamespacedPod({ namespace, labelSelector, ...page }, withTimeout(LIST_TIMEOUT_MS, undefined, signal)), { labelSelector }, trimPodForCache);
  }

  private all(): Array<SupervisedInformer<KubernetesObject>> {
    return [...this.required(), this.agentLeases as SupervisedInformer<KubernetesObject>];
  }

  private required(): Array<SupervisedInformer<KubernetesObject>> {
    return [this.nodes, this.apiServices, this.endpoints, this.networkHealths, this.konnectivity, this.probePods] as Array<SupervisedInformer<KubernetesObject>>;
  }

  private informer<T extends KubernetesObject>(
    kind: WatchedResource, resource: string, path: string, list: (signal: AbortSignal, page: ListPage) => Promise<KubernetesListObject<T>>,
    selectors: { labelSelector?: string; fieldSelector?: string } = {},
    transform: (object: T) => T = trimForCache,
  ): SupervisedInformer<T> {
    const informer = new SupervisedInformer<T>({
      resource, kubeConfig: this.kubeConfig, path, list, ...selectors, transform,
      restartDelayMs: this.hooks.restartDelayMs, onRestart: this.hooks.onRestart, watchTimeoutSeconds: this.hooks.watchTimeoutSeconds,
    });
    informer.onChange((change, object) => this.hooks.onChange(kind, change, object));
    this.hooks.watching?.(resource);
    return informer;
  }
}
