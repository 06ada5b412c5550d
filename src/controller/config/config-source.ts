/**
 * Where the config comes from: a file (`--config`, read once at start) or ConfigMap
 * netmedic-config, key config.yaml, in netmedic's namespace — read at start (invalid → the
 * controller refuses to start) and then watched. An invalid update keeps the last good config and
 * is reported; a deleted ConfigMap means the documented defaults.
 */
import { readFileSync } from "node:fs";
import { ApiException, CoreV1Api, type KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { CONFIG_MAP_NAME } from "../../api/index.js";
import { SupervisedInformer } from "../../k8s/supervised-informer.js";
import { withTimeout } from "../../k8s/request-options.js";
import { ConfigError, DEFAULT_CONFIG, parseControllerConfig, type ControllerConfig } from "./config.js";

/** The key in the ConfigMap that holds the YAML. */
const CONFIG_KEY = "config.yaml";

/** Reactions to runtime changes. */
export interface ConfigSourceHooks {
  onUpdate: (config: ControllerConfig) => void;
  onInvalid: (error: ConfigError) => void;
  restartDelayMs: (attempt: number) => number;
  onRestart: (resource: string, reason: string, delayMs: number) => void;
}

/** Reads the config file; throws ConfigError (also for an unreadable file). */
export function readConfigFile(path: string): ControllerConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(path, [`cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  return parseControllerConfig(text, path);
}

/** The config a ConfigMap holds (undefined ConfigMap → defaults). */
function configFromConfigMap(configMap: V1ConfigMap | undefined, namespace: string): ControllerConfig {
  if (!configMap) return DEFAULT_CONFIG;
  const source = `configmap ${namespace}/${CONFIG_MAP_NAME}`;
  const text = configMap.data?.[CONFIG_KEY];
  if (text === undefined) throw new ConfigError(source, [`has no key ${CONFIG_KEY}`]);
  return parseControllerConfig(text, source);
}

/** Watches the ConfigMap after an initial read; `current` is always the last good config. */
export class ConfigMapSource {
  private config: ControllerConfig = DEFAULT_CONFIG;
  private informer: SupervisedInformer<V1ConfigMap> | undefined;

  constructor(private readonly kubeConfig: KubeConfig, private readonly namespace: string) {}

  /** The last good config. */
  current(): ControllerConfig {
    return this.config;
  }

  /** Reads the ConfigMap once; throws ConfigError when it is invalid, API errors when unreadable. */
  async load(): Promise<ControllerConfig> {
    const core = this.kubeConfig.makeApiClient(CoreV1Api);
    let configMap: V1ConfigMap | undefined;
    try {
      configMap = await core.readNamespacedConfigMap({ name: CONFIG_MAP_NAME, namespace: this.namespace }, withTimeout(30_000));
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 404)) throw error;
    }
    this.config = configFromConfigMap(configMap, this.namespace);
    return this.config;
  }

  /** Starts watching; updates go to the hooks. */
  async watch(hooks: ConfigSourceHooks): Promise<void> {
    const core = this.kubeConfig.makeApiClient(CoreV1Api);
    const fieldSelector = `metadata.name=${CONFIG_MAP_NAME}`;
    this.informer = new SupervisedInformer<V1ConfigMap>({
      resource: "configmap", kubeConfig: this.kubeConfig, path: `/api/v1/namespaces/${this.namespace}/configmaps`, fieldSelector,
      list: (signal) => core.listNamespacedConfigMap({ namespace: this.namespace, fieldSelector }, withTimeout(30_000, undefined, signal)),
      restartDelayMs: hooks.restartDelayMs, onRestart: hooks.onRestart,
    });
    this.informer.onChange((change, configMap) => this.apply(change === "delete" ? undefined : configMap, hooks));
    await this.informer.start();
  }

  /** Stops watching. */
  async stop(): Promise<void> {
    await this.informer?.stop();
  }

  private apply(configMap: V1ConfigMap | undefined, hooks: ConfigSourceHooks): void {
    let next: ControllerConfig;
    try {
      next = configFromConfigMap(configMap, this.namespace);
    } catch (error) {
      if (error instanceof ConfigError) return hooks.onInvalid(error);
      throw error;
    }
    if (JSON.stringify(next) === JSON.stringify(this.config)) return;
    this.config = next;
    hooks.onUpdate(next);
  }
}
