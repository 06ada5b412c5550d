/**
 * The controller's parts, wired: the caches every replica keeps warm, the metrics, the Event
 * recorder and konnectivity log reader (sharing the API rate limiter with the reconciles), the
 * leader's reconcile loop and the Lease elector that starts and ends it. Building them starts
 * nothing; controller.ts starts and stops them.
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { FIELD_MANAGER_CONTROLLER } from "../api/index.js";
import { apiServiceView, type KubeAPIService } from "../core/index.js";
import { EventRecorder } from "../k8s/event-recorder.js";
import { LeaseElector, type LeaseElectorOptions } from "../k8s/lease-elector.js";
import { NetworkHealthClient } from "../k8s/networkhealth-client.js";
import { readPodLogTail } from "../k8s/pod-log-reader.js";
import type { ControllerConfig } from "./config/config.js";
import type { ControllerOptions } from "./controller.js";
import { ControllerMetrics } from "./metrics.js";
import { ClusterCaches } from "./reconcile/cluster-caches.js";
import { KonnectivityLogCache } from "./reconcile/konnectivity-logs.js";
import { eventTargets, reconcileNodeByName } from "./reconcile/node-reconciler.js";
import { NodeStores } from "./reconcile/node-store.js";
import { ObservationBuilder } from "./reconcile/observation-builder.js";
import { NetworkHealthOverlay } from "./reconcile/status-overlay.js";
import { describeError } from "./runtime/api-errors.js";
import { ApiRateLimiter } from "./runtime/api-rate-limiter.js";
import { backoffDelayMs, type BackoffOptions } from "./runtime/backoff.js";
import { CacheChangeRouter } from "./runtime/cache-changes.js";
import { Leadership } from "./runtime/leadership.js";
import { DEFAULT_WORK_QUEUE_OPTIONS } from "./runtime/work-queue.js";
import { WorkloadOwner } from "./workloads/workload-owner.js";

const DEFAULT_RESTART_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 60_000 };

/** Records Events under the controller's field manager; a failed or dropped write is counted and logged, never thrown. */
function createEventRecorder(kubeConfig: KubeConfig, identity: string, limiter: ApiRateLimiter, metrics: ControllerMetrics, log: Logger): EventRecorder {
  return new EventRecorder(kubeConfig, FIELD_MANAGER_CONTROLLER, identity, {
    beforeRequest: () => limiter.acquire(),
    onError: (error, target, event) => {
      metrics.eventWriteFailures.inc();
      log.warn({ error: describeError(error), kind: target.kind, name: target.name, reason: event.reason }, "event not written");
    },
    onDropped: () => metrics.eventsDropped.inc(),
  });
}

/** Caches konnectivity-agent log tails for `ttlMs`, read within the current config's line and byte bounds. */
function createLogCache(kubeConfig: KubeConfig, limiter: ApiRateLimiter, config: () => ControllerConfig, ttlMs: number): KonnectivityLogCache {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const read = async (namespace: string, name: string) => {
    const { logTailLines: tailLines, logLimitBytes: limitBytes } = config().konnectivity;
    await limiter.acquire();
    return readPodLogTail(core, namespace, name, { tailLines, limitBytes, timeoutMs: 5000 });
  };
  return new KonnectivityLogCache(read, ttlMs);
}

/** The Lease timing and identity an elector campaigns with. */
type ElectionSettings = Pick<LeaseElectorOptions, "namespace" | "identity" | "leaseDurationSeconds" | "renewDeadlineSeconds" | "retryPeriodSeconds"> & { leaseName: string };

/** What winning and losing the Lease starts and ends. */
interface LeaderWork {
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

/** Campaigns for the controller's Lease; a failed attempt is logged and retried by the elector. */
function createElector(kubeConfig: KubeConfig, settings: ElectionSettings, work: LeaderWork, log: Logger): LeaseElector {
  const { namespace, leaseName, identity, leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds } = settings;
  return new LeaseElector(kubeConfig, {
    namespace, name: leaseName, identity, leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds, ...work,
    onError: (error) => log.warn({ error: describeError(error) }, "leader election attempt failed"),
  });
}

/** Every part of one controller, built from its options and config (`initial` until the config source loads). */
export class ControllerParts {
  readonly metrics: ControllerMetrics;
  readonly caches: ClusterCaches;
  readonly leadership: Leadership;
  readonly elector: LeaseElector;
  readonly recorder: EventRecorder;
  readonly logs: KonnectivityLogCache;
  readonly limiter: ApiRateLimiter;
  readonly workloads: WorkloadOwner;
  private readonly overlay = new NetworkHealthOverlay();
  private readonly observations = new ObservationBuilder();
  private readonly changes: CacheChangeRouter;
  private readonly stores: NodeStores;
  private readonly log: Logger;

  constructor(private readonly options: ControllerOptions, initial: ControllerConfig, private readonly config: () => ControllerConfig) {
    const { kubeConfig, namespace } = options;
    this.log = options.logger;
    this.workloads = new WorkloadOwner(kubeConfig, namespace, options.logger);
    this.limiter = new ApiRateLimiter({ qps: initial.reconcile.apiQPS, burst: initial.reconcile.apiBurst });
    this.metrics = new ControllerMetrics({
      networkHealths: () => this.stores.networkHealths(),
      apiServices: () => this.caches.apiServices.list().map((s) => apiServiceView(s as KubeAPIService)),
      rateLimitWaitSeconds: () => this.limiter.totalWaitMs / 1000,
      eventBacklog: () => this.recorder.backlog,
    });
    this.recorder = createEventRecorder(kubeConfig, options.identity, this.limiter, this.metrics, this.log);
    this.caches = new ClusterCaches(kubeConfig, initial.konnectivity, namespace, {
      restartDelayMs: (attempt) => this.restartDelayMs(attempt),
      onRestart: (resource, reason, delayMs) => this.watchRestarted(resource, reason, delayMs),
      // At 0 from the start, as the remediation counters: increase() misses a series born at 1, and
      // NetmedicWatchRestarting and the dashboard count restarts with increase().
      watching: (resource) => this.metrics.watchRestarts.inc({ resource }, 0),
      onChange: (resource, change, object) => this.changes.onChange(resource, change, object),
      watchTimeoutSeconds: options.watchTimeoutSeconds,
    });
    this.changes = new CacheChangeRouter({
      overlay: this.overlay, observations: this.observations, metrics: this.metrics, nodesVersion: () => this.caches.nodes.version,
      allNodes: () => this.nodeNames(), health: (name) => this.stores.health(name), enqueue: (names) => this.leadership.enqueue(names),
    });
    this.logs = createLogCache(kubeConfig, this.limiter, config, initial.konnectivity.logTtlSeconds * 1000);
    this.stores = new NodeStores({ caches: this.caches, overlay: this.overlay, observations: this.observations, logs: this.logs });
    this.leadership = this.createLeadership();
    this.elector = createElector(kubeConfig, options, {
      onStartedLeading: () => {
        void this.leadership.begin();
        void this.workloads.ensure(this.config());
      },
      onStoppedLeading: () => void this.leadership.end(),
    }, this.log);
  }

  private createLeadership(): Leadership {
    const deps = {
      stores: this.stores, overlay: this.overlay, logs: this.logs,
      client: new NetworkHealthClient(this.options.kubeConfig, FIELD_MANAGER_CONTROLLER), events: this.recorder, metrics: this.metrics, config: this.config,
      now: () => new Date(), requestTimeoutMs: this.options.requestTimeoutMs ?? 10_000, beforeRequest: () => this.limiter.acquire(),
    };
    return new Leadership({
      queueOptions: this.options.queue ?? DEFAULT_WORK_QUEUE_OPTIONS,
      reconcile: (name, log) => reconcileNodeByName(deps, name, log),
      reportTerminal: (name, description) => this.reportTerminal(name, description),
      allNodes: () => this.nodeNames(),
      workers: () => this.config().reconcile.workers,
      metrics: this.metrics,
      logger: this.log,
    });
  }

  /** The names of the nodes in the Node cache. */
  nodeNames(): string[] {
    return this.caches.nodes.list().flatMap((node) => (node.metadata?.name ? [node.metadata.name] : []));
  }

  /** How long a failed watch waits before its `attempt`-th restart (default 1 s doubling to 60 s). */
  restartDelayMs(attempt: number): number {
    return backoffDelayMs(attempt, this.options.restartBackoff ?? DEFAULT_RESTART_BACKOFF);
  }

  /** Counts and logs a watch restart. */
  watchRestarted(resource: string, reason: string, delayMs: number): void {
    this.metrics.watchRestarts.inc({ resource });
    this.log.warn({ resource, reason, delayMs }, "watch failed, restarting");
  }

  private async reportTerminal(name: string, description: string): Promise<void> {
    const node = this.caches.nodes.get(name);
    if (!node) return;
    this.recorder.record(eventTargets(node, this.stores.health(name)), { type: "Warning", reason: "ReconcileFailed", message: `netmedic cannot update this node's NetworkHealth: ${description}` });
  }
}
