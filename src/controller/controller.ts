/**
 * The netmedic controller process: config → caches → (leader only) reconcile loop, plus the
 * health/metrics server and the Lease elector (all built in controller-parts.ts). Every replica
 * keeps its caches warm and serves /healthz, /readyz and /metrics; only the Lease holder
 * reconciles and writes.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { CONFIG_MAP_NAME } from "../api/index.js";
import type { BackoffOptions } from "./runtime/backoff.js";
import { ConfigMapSource, readConfigFile } from "./config/config-source.js";
import { DEFAULT_CONFIG, type ConfigError, type ControllerConfig } from "./config/config.js";
import type { ControllerFlags } from "./config/flags.js";
import { ControllerParts } from "./controller-parts.js";
import { startHealthServer, type HealthServer } from "./http-server.js";
import type { ControllerMetrics } from "./metrics.js";
import type { WorkQueueOptions } from "./runtime/work-queue.js";

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

/**
 * Starts a controller. Throws ConfigError when the config is invalid (nothing is left running)
 * and API errors when the ConfigMap cannot be read. Does not wait for the caches: /readyz does.
 */
export async function startController(options: ControllerOptions): Promise<RunningController> {
  const controller = new Controller(options);
  await controller.start();
  return {
    port: controller.port,
    metrics: controller.parts.metrics,
    isLeader: () => controller.parts.leadership.leading,
    isReady: () => controller.parts.caches.synced,
    config: () => controller.config(),
    stop: () => controller.stop(),
  };
}

/** One controller's lifecycle: the config source, start, stop, and what a config change changes. */
class Controller {
  readonly parts: ControllerParts;
  port = 0;
  private configValue: ControllerConfig;
  private readonly configMap: ConfigMapSource | undefined;
  private readonly log: Logger;
  private server: HealthServer | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: ControllerOptions) {
    this.log = options.logger;
    this.configMap = options.configPath ? undefined : new ConfigMapSource(options.kubeConfig, options.namespace);
    // A ConfigMap's content replaces the defaults in start(), before anything reads them.
    this.configValue = options.configPath ? readConfigFile(options.configPath) : DEFAULT_CONFIG;
    this.parts = new ControllerParts(options, this.configValue, () => this.config());
  }

  config(): ControllerConfig {
    return this.configMap ? this.configMap.current() : this.configValue;
  }

  async start(): Promise<void> {
    const { caches, metrics, elector } = this.parts;
    if (this.configMap) this.configValue = await this.configMap.load();
    this.applyLimits(this.configValue);
    await caches.setKonnectivity(this.configValue.konnectivity);
    this.server = await startHealthServer(this.options.listen, { metrics, ready: () => caches.synced });
    this.port = this.server.port;
    await caches.start();
    await this.configMap?.watch({
      onUpdate: (config) => this.onConfigUpdate(config), onInvalid: (error) => this.onConfigInvalid(error),
      restartDelayMs: (attempt) => this.parts.restartDelayMs(attempt),
      onRestart: (resource, reason, delayMs) => this.parts.watchRestarted(resource, reason, delayMs),
    });
    this.scheduleResync();
    this.log.info({ identity: this.options.identity, port: this.port, lease: `${this.options.namespace}/${this.options.leaseName}` }, "controller started");
    // Campaign only with a complete view: a replica whose caches cannot sync must not hold the Lease.
    void caches.waitForSync().then(() => {
      if (this.stopping) return;
      this.log.info("caches synced");
      elector.start();
    });
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    const { leadership, recorder, elector, caches, metrics } = this.parts;
    this.log.info("stopping");
    clearInterval(this.resyncTimer);
    const drained = leadership.end();
    const drainTimeout = new Promise<void>((resolve) => setTimeout(resolve, this.options.drainTimeoutMs ?? 30_000).unref());
    await Promise.race([drained.then(() => recorder.flush()), drainTimeout]);
    await elector.stop();
    await this.configMap?.stop();
    await caches.stop();
    await this.server?.close();
    metrics.isLeader.set(0);
    this.log.info("stopped");
  }

  private scheduleResync(): void {
    clearInterval(this.resyncTimer);
    this.resyncTimer = setInterval(() => this.parts.leadership.enqueue(this.parts.nodeNames()), this.config().resyncSeconds * 1000);
    this.resyncTimer.unref();
  }

  private onConfigUpdate(config: ControllerConfig): void {
    const { caches, leadership, workloads } = this.parts;
    this.log.info({ resyncSeconds: config.resyncSeconds, mode: config.policy.mode }, "config updated");
    this.applyLimits(config);
    caches.setKonnectivity(config.konnectivity).catch((error: unknown) => this.log.error({ error: String(error) }, "konnectivity watch not switched"));
    this.scheduleResync();
    leadership.enqueue(this.parts.nodeNames());
    if (leadership.leading) void workloads.ensure(config);
  }

  /** The config's API rate and log cache lifetime, applied to the running parts. */
  private applyLimits(config: ControllerConfig): void {
    this.parts.limiter.setRate({ qps: config.reconcile.apiQPS, burst: config.reconcile.apiBurst });
    this.parts.logs.setTtl(config.konnectivity.logTtlSeconds * 1000);
  }

  private onConfigInvalid(error: ConfigError): void {
    this.parts.metrics.configReloadFailures.inc();
    this.log.error({ error: error.message }, "config update rejected, keeping the last good config");
    if (!this.parts.leadership.leading) return;
    const target = { apiVersion: "v1", kind: "ConfigMap", name: CONFIG_MAP_NAME, namespace: this.options.namespace };
    this.parts.recorder.record([target], { type: "Warning", reason: "InvalidConfig", message: error.message });
  }
}
