/**
 * The controller's configuration: ConfigMap netmedic-config key `config.yaml` (or `--config FILE`),
 * YAML, every key optional. Validation reports every problem at once as "path: what is wrong
 * (what is allowed)" on one line; unknown keys and anything that looks like a secret are refused.
 *
 * Keys and defaults (deploy/30-config.yaml shows the same):
 *   remediation:   the RemediationPolicy — mode Auto, actions {}, maxConcurrent 1, cooldownSeconds 300,
 *                  maxAttempts 3, orderTimeoutSeconds 120, breaker {maxFailedNodes 3, windowSeconds 900},
 *                  staleAfterSeconds 2.5 × agent.heartbeatSeconds = 750 (DEFAULT_POLICY)
 *   konnectivity:  namespace kube-system, selector k8s-app=konnectivity-agent, logTailLines 50,
 *                  logLimitBytes 16384, logTtlSeconds 60 (how long an agent pod's log is reused)
 *   resyncSeconds: 3600 — every node is reconciled at least this often: a net for a missed event;
 *                  what changes with time alone (a report going stale, an order timing out, a
 *                  cooldown, a silent agent's konnectivity log) has its own per-node requeue
 *   reconcile:     workers 4 (nodes reconciled in parallel; one node never twice at once),
 *                  apiQPS 50, apiBurst 100 (client-side limit on the requests reconciles make)
 *   agent:         DaemonSet placement for the agent (image: the controller's own when unset;
 *                  tolerations [{operator: Exists}] so it runs on tainted and NotReady nodes too;
 *                  nodeSelector {}; resources requests cpu 10m / memory 32Mi, limits memory 128Mi);
 *                  heartbeatSeconds 300 — the agents' --heartbeat (a report at least this often)
 */
import { parse } from "yaml";
import {
  ACTION_ORDER, KONNECTIVITY_DEFAULT_NAMESPACE, KONNECTIVITY_DEFAULT_SELECTOR, REMEDIATION_MODES, type ActionName, type RemediationMode,
} from "../../api/index.js";
import { DEFAULT_AGENT_HEARTBEAT_SECONDS, DEFAULT_POLICY, staleAfterForHeartbeat, withoutEmpty, type RemediationPolicy } from "../../core/index.js";
import { integer, listOf, mapOf, mapping, matching, oneOf, type Problems, type Shape } from "./config-fields.js";
import { findSecrets } from "./config-secrets.js";

/** Where and how konnectivity-agent pods are found and their logs read. */
export interface KonnectivityConfig {
  namespace: string;
  /** Label selector, e.g. k8s-app=konnectivity-agent. */
  selector: string;
  logTailLines: number;
  logLimitBytes: number;
  logTtlSeconds: number;
}

/** How fast the controller works through nodes, and how hard it may press the apiserver. */
export interface ReconcileConfig {
  /** Reconciles running at once (read when a leadership term starts). */
  workers: number;
  /** API requests per second (creates, status writes, pods/log reads, Events) after `apiBurst`. */
  apiQPS: number;
  apiBurst: number;
}

/** A core/v1 Toleration. */
export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  tolerationSeconds?: number;
}

/** Placement of the agent DaemonSet (consumed by the DaemonSet owner). */
export interface AgentDaemonSetConfig {
  /** Container image; undefined = the controller's own image. */
  image?: string;
  tolerations: Toleration[];
  nodeSelector: Record<string, string>;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  /** The agents' --heartbeat: an agent with nothing new reports this often; the staleness limit follows it. */
  heartbeatSeconds: number;
}

/** The validated controller configuration. */
export interface ControllerConfig {
  policy: RemediationPolicy;
  konnectivity: KonnectivityConfig;
  resyncSeconds: number;
  reconcile: ReconcileConfig;
  agent: AgentDaemonSetConfig;
}

/** A config that failed validation; `message` is one line listing every problem. */
export class ConfigError extends Error {
  constructor(readonly source: string, readonly problems: string[]) {
    super(`invalid config ${source}: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** The configuration when nothing is configured. */
export const DEFAULT_CONFIG: ControllerConfig = {
  policy: DEFAULT_POLICY,
  konnectivity: { namespace: KONNECTIVITY_DEFAULT_NAMESPACE, selector: KONNECTIVITY_DEFAULT_SELECTOR, logTailLines: 50, logLimitBytes: 16384, logTtlSeconds: 60 },
  resyncSeconds: 3600,
  reconcile: { workers: 4, apiQPS: 50, apiBurst: 100 },
  agent: {
    tolerations: [{ operator: "Exists" }],
    nodeSelector: {},
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
    heartbeatSeconds: DEFAULT_AGENT_HEARTBEAT_SECONDS,
  },
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SELECTOR_TERM = String.raw`!?[A-Za-z0-9._/-]+(\s*(==|=|!=)\s*[A-Za-z0-9._-]*|\s+(in|notin)\s+\([A-Za-z0-9._,\s-]*\))?`;
const LABEL_SELECTOR = new RegExp(`^\\s*${SELECTOR_TERM}(\\s*,\\s*${SELECTOR_TERM})*\\s*$`);
const QUANTITY = /^[0-9]+(\.[0-9]+)?([eE][0-9]+|m|[kKMGTPE]i?)?$/;
const LABEL_KEY = { pattern: /^([a-z0-9.-]{1,253}\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/, what: "label keys like kubernetes.io/os" };
const text = (what: RegExp, description: string) => matching(undefined, what, description);

const mode = (fallback: RemediationMode) => oneOf<RemediationMode>(fallback, REMEDIATION_MODES);

/** The policy as configured; the heartbeat comes from `agent:`, an absent staleAfterSeconds reads 0 (then derived). */
const policyShape: Shape<Omit<RemediationPolicy, "agentHeartbeatSeconds">> = {
  mode: mode(DEFAULT_POLICY.mode),
  actions: mapOf<RemediationMode>(mode("Auto"), { pattern: new RegExp(`^(${ACTION_ORDER.join("|")})$`), what: ACTION_ORDER.join(", ") }) as Shape<RemediationPolicy>["actions"],
  maxConcurrent: integer(DEFAULT_POLICY.maxConcurrent, 1, 1000),
  cooldownSeconds: integer(DEFAULT_POLICY.cooldownSeconds, 0, 86_400),
  maxAttempts: integer(DEFAULT_POLICY.maxAttempts, 1, 100),
  orderTimeoutSeconds: integer(DEFAULT_POLICY.orderTimeoutSeconds, 10, 3600),
  breaker: mapping({
    maxFailedNodes: integer(DEFAULT_POLICY.breaker.maxFailedNodes, 1, 10_000),
    windowSeconds: integer(DEFAULT_POLICY.breaker.windowSeconds, 60, 86_400),
  }),
  staleAfterSeconds: integer(0, 10, 86_400),
};

const konnectivityShape: Shape<KonnectivityConfig> = {
  namespace: matching(DEFAULT_CONFIG.konnectivity.namespace, DNS_LABEL, "a namespace name (DNS label)"),
  selector: matching(DEFAULT_CONFIG.konnectivity.selector, LABEL_SELECTOR, "a label selector like k8s-app=konnectivity-agent"),
  logTailLines: integer(DEFAULT_CONFIG.konnectivity.logTailLines, 1, 10_000),
  logLimitBytes: integer(DEFAULT_CONFIG.konnectivity.logLimitBytes, 1024, 10 * 1024 * 1024),
  logTtlSeconds: integer(DEFAULT_CONFIG.konnectivity.logTtlSeconds, 0, 3600),
};

const reconcileShape: Shape<ReconcileConfig> = {
  workers: integer(DEFAULT_CONFIG.reconcile.workers, 1, 64),
  apiQPS: integer(DEFAULT_CONFIG.reconcile.apiQPS, 1, 10_000),
  apiBurst: integer(DEFAULT_CONFIG.reconcile.apiBurst, 1, 10_000),
};

const tolerationShape: Shape<Toleration> = {
  key: text(/^[A-Za-z0-9._/-]+$/, "a taint key"),
  operator: oneOf<"Exists" | "Equal">("Equal", ["Exists", "Equal"]) as Shape<Toleration>["operator"],
  value: text(/^[A-Za-z0-9._-]*$/, "a taint value"),
  effect: oneOf("", ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const) as unknown as Shape<Toleration>["effect"],
  tolerationSeconds: ((value, path, problems) => (value === undefined ? undefined : integer(0, 0)(value, path, problems))) as Shape<Toleration>["tolerationSeconds"],
};

const quantities = mapOf<string>((value, path, problems) =>
  matching(undefined, QUANTITY, "a resource quantity like 100m or 64Mi")(typeof value === "number" ? String(value) : value, path, problems));

const agentShape: Shape<AgentDaemonSetConfig> = {
  image: text(/^[a-z0-9][a-z0-9._\-/:@]*$/, "an image reference like ghcr.io/netmedic-io/netmedic:0.1.0"),
  tolerations: listOf(DEFAULT_CONFIG.agent.tolerations, (value, path, problems) => withoutEmpty(mapping(tolerationShape)(value, path, problems))),
  nodeSelector: mapOf<string>(text(/^[A-Za-z0-9._-]*$/, "a label value"), LABEL_KEY),
  resources: ((value, path, problems) => {
    const read = mapping({ requests: quantities, limits: quantities })(value, path, problems);
    return value === undefined ? DEFAULT_CONFIG.agent.resources : read;
  }) as Shape<AgentDaemonSetConfig>["resources"],
  heartbeatSeconds: integer(DEFAULT_AGENT_HEARTBEAT_SECONDS, 10, 3600),
};

const configShape = {
  remediation: mapping(policyShape),
  konnectivity: mapping(konnectivityShape),
  resyncSeconds: integer(DEFAULT_CONFIG.resyncSeconds, 10, 86_400),
  reconcile: mapping(reconcileShape),
  agent: mapping(agentShape),
};

/**
 * Parses and validates config YAML. `source` names where it came from, for the message.
 * Throws ConfigError listing every problem (secrets first and alone, and never their values).
 */
export function parseControllerConfig(yamlText: string, source: string): ControllerConfig {
  let document: unknown;
  try {
    document = parse(yamlText);
  } catch (error) {
    throw new ConfigError(source, [`not valid YAML: ${(error as Error).message.split("\n")[0] ?? ""}`]);
  }
  const secrets = findSecrets(document);
  if (secrets.length > 0) {
    throw new ConfigError(source, [...secrets, "netmedic's config must not hold credentials: remove them"]);
  }
  const problems: Problems = [];
  const read = mapping(configShape)(document, "", problems);
  const { remediation, ...rest } = read;
  const heartbeat = rest.agent.heartbeatSeconds;
  if (remediation.staleAfterSeconds && remediation.staleAfterSeconds <= heartbeat && heartbeatSet(document)) {
    problems.push(`remediation.staleAfterSeconds: must exceed agent.heartbeatSeconds (${heartbeat}), or every idle agent turns Stale (got ${remediation.staleAfterSeconds})`);
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  const staleAfterSeconds = remediation.staleAfterSeconds || staleAfterForHeartbeat(heartbeat);
  const actions = remediation.actions as Partial<Record<ActionName, RemediationMode>>;
  return { ...rest, policy: { ...remediation, actions, staleAfterSeconds, agentHeartbeatSeconds: heartbeat } };
}

/** Whether the document sets agent.heartbeatSeconds itself (a bare staleAfterSeconds below the default heartbeat serves agents started with their own). */
function heartbeatSet(document: unknown): boolean {
  return (document as { agent?: { heartbeatSeconds?: unknown } } | null)?.agent?.heartbeatSeconds !== undefined;
}
