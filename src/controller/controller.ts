/**
 * The netmedic controller process, wired: config → caches → (leader only) reconcile loop, plus
 * the health/metrics server and the Lease elector. Every replica keeps its caches warm and serves
 * /healthz, /readyz and /metrics; only the Lease holder reconciles and writes.
 */
import { CoreV1Api, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { CONFIG_MAP_NAME, FIELD_MANAGER_CONTROLLER, type NetworkHealth } from "../api/index.js";
import { EventRecorder } from "../k8s/event-recorder.js";
import { LeaseElector } from "../k8s/lease-elector.js";
import { NetworkHealthClient } from "../k8s/networkhealth-client.js";
import { readPodLogTail } from "../k8s/pod-log-reader.js";
import { apiServiceView, type KubeAPIService } from "../core/index.js";
import type { ChangeType } from "../k8s/supervised-informer.js";
import { describeError } from "./runtime/api-errors.js";
import { backoffDelayMs, type BackoffOptions } from "./runtime/backoff.js";
import { ClusterCaches } from "./reconcile/cluster-caches.js";
import { ConfigMapSource, readConfigFile } from "./config/config-source.js";
import { DEFAULT_CONFIG, type ConfigError, type ControllerConfig } from "./config/config.js";
import { ApiRateLimiter } from "./runtime/api-rate-limiter.js";
import { ALL_NODES, nodesForEvent, type WatchedResource } from "./runtime/event-keys.js";
import { startHealthServer, type HealthServer } from "./http-server.js";
import { KonnectivityLogCache } from "./reconcile/konnectivity-logs.js";
import { HeartbeatFilter } from "./runtime/heartbeat-filter.js";
import { Leadership } from "./runtime/leadership.js";
import { ControllerMetrics } from "./metrics.js";
import { eventTargets, reconcileNodeByName, type ReconcilerDeps } from "./reconcile/node-reconciler.js";
import { ObservationBuilder } from "./reconcile/observation-builder.js";
import { NodeStores } from "./reconcile/node-store.js";
import { NetworkHealthOverlay } from "./reconcile/status-overlay.js";
import { DEFAULT_WORK_QUEUE_OPTIONS, type WorkQueueOptions } from "./runtime/work-queue.js";
import { WorkloadOwner } from "./workloads/workload-owner.js";
import type { ControllerFlags } from "./config/flags.js";

/** How to run one controller: the flags (with a loaded kubeconfig and logger), plus knobs tests turn. */
export interface ControllerOptions extends Omit<ControllerFlags, "kubeconfig" | "logLevel"> {
  kubeConfig: KubeConfig;
  logger: Logger;
  queue?: WorkQueueOptions;
  /** Informer restart backoff (default 1 s doubling to 60 s). */
  restartBackoff?: BackoffOptions;
  watchTimeoutSeconds?: number;
  requestTimeoutMs?: number;
  /** Bound on draining the reconcile in flight at shutdown. */
  drainTimeoutMs?: number;
}

/** A started controller. */
export interface RunningController {
  /** The port /metrics, /healthz and /readyz listen on. */
  port: number;
  metrics: ControllerMetrics;
  isLeader: () => boolean;
  isReady: () => boolean;
  config: () => ControllerConfig;
  /** Stops reconciling, drains, releases the Lease, stops watching, closes the server. Idempotent. */
  stop: () => Promise<void>;
}

const DEFAULT_RESTART_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 60_000 };

/**
 * Starts a controller. Throws ConfigError when the config is invalid (nothing is left running)
 * and API errors when the ConfigMap cannot be read. Does not wait for the caches: /readyz does.
 */
export async function startController(options: ControllerOptions): Promise<RunningController> {
  const controller = new Controller(options);
  await controller.start();
  return {
    port: controller.port,
    metrics: controller.metrics,
    isLeader: () => controller.leadership.leading,
    isReady: () => controller.caches.synced,
    config: () => controller.config(),
    stop: () => controller.stop(),
  };
}

class Controller {
  readonly metrics: ControllerMetrics;
  readonly caches: ClusterCaches;
  readonly leadership: Leadership;
  port = 0;
  private configValue: ControllerConfig;
  private readonly configMap: ConfigMapSource | undefined;
  private readonly recorder: EventRecorder;
  private readonly elector: LeaseElector;
  private readonly logs: KonnectivityLogCache;
  private readonly overlay = new NetworkHealthOverlay();
  private readonly heartbeats = new HeartbeatFilter();
  private readonly observations = new ObservationBuilder();
  private readonly client: NetworkHealthClient;
  private readonly workloads: WorkloadOwner;
  private readonly limiter: ApiRateLimiter;
  private readonly stores: NodeStores;
  private readonly reconcilerDeps: ReconcilerDeps;
  private readonly log: Logger;
  private server: HealthServer | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: ControllerOptions) {
    this.log = options.logger;
    this.configMap = options.configPath ? undefined : new ConfigMapSource(options.kubeConfig, options.namespace);
    // A ConfigMap's content replaces the defaults in start(), before anything reads them.
    this.configValue = options.configPath ? readConfigFile(options.configPath) : DEFAULT_CONFIG;
    this.client = new NetworkHealthClient(options.kubeConfig, FIELD_MANAGER_CONTROLLER);
    this.workloads = new WorkloadOwner(options.kubeConfig, options.namespace, options.logger);
    this.limiter = new ApiRateLimiter({ qps: this.configValue.reconcile.apiQPS, burst: this.configValue.reconcile.apiBurst });
    this.metrics = new ControllerMetrics({
      networkHealths: () => this.stores.networkHealths(),
      apiServices: () => this.caches.apiServices.list().map((s) => apiServiceView(s as KubeAPIService)),
      rateLimitWaitSeconds: () => this.limiter.totalWaitMs / 1000,
      eventBacklog: () => this.recorder.backlog,
    });
    this.recorder = this.createRecorder();
    this.caches = new ClusterCaches(options.kubeConfig, this.configValue.konnectivity, options.namespace, {
      restartDelayMs: (attempt) => backoffDelayMs(attempt, options.restartBackoff ?? DEFAULT_RESTART_BACKOFF),
      onRestart: (resource, reason, delayMs) => this.onWatchRestart(resource, reason, delayMs),
      onChange: (resource, change, object) => this.onCacheChange(resource, change, object),
      watchTimeoutSeconds: options.watchTimeoutSeconds,
    });
    this.logs = this.createLogCache();
    this.stores = new NodeStores({ caches: this.caches, overlay: this.overlay, observations: this.observations, logs: this.logs });
    this.reconcilerDeps = this.createReconcilerDeps();
    this.leadership = this.createLeadership();
    this.elector = this.createElector();
  }

  private createRecorder(): EventRecorder {
    return new EventRecorder(this.options.kubeConfig, FIELD_MANAGER_CONTROLLER, this.options.identity, {
      beforeRequest: () => this.limiter.acquire(),
      onError: (error, target, event) => {
        this.metrics.eventWriteFailures.inc();
        this.log.warn({ error: describeError(error), kind: target.kind, name: target.name, reason: event.reason }, "event not written");
      },
      onDropped: () => this.metrics.eventsDropped.inc(),
    });
  }

  private createLogCache(): KonnectivityLogCache {
    const core = this.options.kubeConfig.makeApiClient(CoreV1Api);
    const read = async (namespace: string, name: string) => {
      const { logTailLines: tailLines, logLimitBytes: limitBytes } = this.config().konnectivity;
      await this.limiter.acquire();
      return readPodLogTail(core, namespace, name, { tailLines, limitBytes, timeoutMs: 5000 });
    };
    return new KonnectivityLogCache(read, this.configValue.konnectivity.logTtlSeconds * 1000);
  }

  private createLeadership(): Leadership {
    return new Leadership({
      queueOptions: this.options.queue ?? DEFAULT_WORK_QUEUE_OPTIONS,
      reconcile: (name, log) => reconcileNodeByName(this.reconcilerDeps, name, log),
      reportTerminal: (name, description) => this.reportTerminal(name, description),
      allNodes: () => this.nodeNames(),
      workers: () => this.config().reconcile.workers,
      metrics: this.metrics,
      logger: this.log,
    });
  }

  private createElector(): LeaseElector {
    const { kubeConfig, namespace, leaseName, identity, leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds } = this.options;
    return new LeaseElector(kubeConfig, {
      namespace, name: leaseName, identity, leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds,
      onStartedLeading: () => {
        void this.leadership.begin();
        void this.workloads.ensure(this.config());
      },
      onStoppedLeading: () => void this.leadership.end(),
      onError: (error) => this.log.warn({ error: describeError(error) }, "leader election attempt failed"),
    });
  }

  config(): ControllerConfig {
    return this.configMap ? this.configMap.current() : this.configValue;
  }

  async start(): Promise<void> {
    if (this.configMap) this.configValue = await this.configMap.load();
    this.limiter.setRate({ qps: this.configValue.reconcile.apiQPS, burst: this.configValue.reconcile.apiBurst });
    this.logs.setTtl(this.configValue.konnectivity.logTtlSeconds * 1000);
    await this.caches.setKonnectivity(this.configValue.konnectivity);
    this.server = await startHealthServer(this.options.listen, { metrics: this.metrics, ready: () => this.caches.synced });
    this.port = this.server.port;
    await this.caches.start();
    await this.configMap?.watch({
      onUpdate: (config) => this.onConfigUpdate(config), onInvalid: (error) => this.onConfigInvalid(error),
      restartDelayMs: (attempt) => backoffDelayMs(attempt, this.options.restartBackoff ?? DEFAULT_RESTART_BACKOFF),
      onRestart: (resource, reason, delayMs) => this.onWatchRestart(resource, reason, delayMs),
    });
    this.scheduleResync();
    this.log.info({ identity: this.options.identity, port: this.port, lease: `${this.options.namespace}/${this.options.leaseName}` }, "controller started");
    // Campaign only with a complete view: a replica whose caches cannot sync must not hold the Lease.
    void this.caches.waitForSync().then(() => {
      if (this.stopping) return;
      this.log.info("caches synced");
      this.elector.start();
    });
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    this.log.info("stopping");
    clearInterval(this.resyncTimer);
    const drained = this.leadership.end();
    const drainTimeout = new Promise<void>((resolve) => setTimeout(resolve, this.options.drainTimeoutMs ?? 30_000).unref());
    await Promise.race([drained.then(() => this.recorder.flush()), drainTimeout]);
    await this.elector.stop();
    await this.configMap?.stop();
    await this.caches.stop();
    await this.server?.close();
    this.metrics.isLeader.set(0);
    this.log.info("stopped");
  }

  private createReconcilerDeps(): ReconcilerDeps {
    return {
      stores: this.stores, overlay: this.overlay, logs: this.logs,
      client: this.client, events: this.recorder, metrics: this.metrics, config: () => this.config(),
      now: () => new Date(), requestTimeoutMs: this.options.requestTimeoutMs ?? 10_000, beforeRequest: () => this.limiter.acquire(),
    };
  }

  private nodeNames(): string[] {
    return this.caches.nodes.list().flatMap((node) => (node.metadata?.name ? [node.metadata.name] : []));
  }

  private onCacheChange(resource: WatchedResource, change: ChangeType, object: KubernetesObject): void {
    if (resource === "NetworkHealth" && this.heartbeatOnly(change, object as unknown as NetworkHealth)) return;
    if (resource === "Node") this.observations.nodeChanged(change, object, this.caches.nodes.version);
    const names = nodesForEvent(resource, object);
    this.leadership.enqueue(names === ALL_NODES ? this.nodeNames() : names);
  }

  /** Follows NetworkHealth changes for the heartbeat filter; true when this one needs no reconcile (counted). */
  private heartbeatOnly(change: ChangeType, health: NetworkHealth): boolean {
    if (change === "delete") {
      this.overlay.forgetDeleted(health);
      this.heartbeats.forget(health.metadata.name ?? "");
      return false;
    }
    if (!this.heartbeats.heartbeatOnly(health)) return false;
    this.metrics.heartbeatsSkipped.inc();
    return true;
  }

  private onWatchRestart(resource: string, reason: string, delayMs: number): void {
    this.metrics.watchRestarts.inc({ resource });
    this.log.warn({ resource, reason, delayMs }, "watch failed, restarting");
  }

  private scheduleResync(): void {
    clearInterval(this.resyncTimer);
    this.resyncTimer = setInterval(() => this.leadership.enqueue(this.nodeNames()), this.config().resyncSeconds * 1000);
    this.resyncTimer.unref();
  }

  private onConfigUpdate(config: ControllerConfig): void {
    this.log.info({ resyncSeconds: config.resyncSeconds, mode: config.policy.mode }, "config updated");
    this.logs.setTtl(config.konnectivity.logTtlSeconds * 1000);
    this.limiter.setRate({ qps: config.reconcile.apiQPS, burst: config.reconcile.apiBurst });
    this.caches.setKonnectivity(config.konnectivity).catch((error: unknown) => this.log.error({ error: String(error) }, "konnectivity watch not switched"));
    this.scheduleResync();
    this.leadership.enqueue(this.nodeNames());
    if (this.leadership.leading) void this.workloads.ensure(config);
  }

  private onConfigInvalid(error: ConfigError): void {
    this.metrics.configReloadFailures.inc();
    this.log.error({ error: error.message }, "config update rejected, keeping the last good config");
    if (!this.leadership.leading) return;
    const target = { apiVersion: "v1", kind: "ConfigMap", name: CONFIG_MAP_NAME, namespace: this.options.namespace };
    this.recorder.record([target], { type: "Warning", reason: "InvalidConfig", message: error.message });
  }

  private async reportTerminal(name: string, description: string): Promise<void> {
    const node = this.caches.nodes.get(name);
    if (!node) return;
    this.recorder.record(eventTargets(node, this.stores.health(name)), { type: "Warning", reason: "ReconcileFailed", message: `netmedic cannot update this node's NetworkHealth: ${description}` });
  }

}
