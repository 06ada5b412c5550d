/**
 * The plain, client-free picture of the cluster the pure core works on. Adapters (controller
 * caches, snapshot files) build it; `diagnose`, `plan` and `conditions` only read it.
 * Times are RFC 3339 strings; `now` is the only clock the core ever sees.
 */
import type { NetworkHealth } from "../api/index.js";

/** Status of a Kubernetes condition. */
export type ConditionStatus = "True" | "False" | "Unknown";

/** What the core needs of a Node. */
export interface NodeView {
  name: string;
  uid?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** status.addresses, e.g. {type: "InternalIP", address: "192.168.1.42"}. */
  addresses: Array<{ type: string; address: string }>;
  /** The Node's Ready condition; "Unknown" when absent. */
  ready: ConditionStatus;
  readyReason?: string;
  readyMessage?: string;
  /** When Ready last changed status. */
  readySince?: string;
  podCIDR?: string;
}

/** What the core needs of an APIService (apiregistration.k8s.io/v1). */
export interface APIServiceView {
  name: string;
  /** Backing service; absent for local (built-in) APIServices, which never implicate nodes. */
  service?: { namespace: string; name: string; port?: number };
  available: ConditionStatus;
  reason?: string;
  message?: string;
}

/** A konnectivity-agent pod with its server address (from args) and recent log lines. */
export interface KonnectivityAgentView {
  namespace: string;
  name: string;
  nodeName?: string;
  phase?: string;
  ready?: boolean;
  /** From --proxy-server-host / --proxy-server-port in the container args. */
  serverHost?: string;
  serverPort?: number;
  /** Recent log lines in klog format as read through pods/log (no CRI prefix); may be empty. */
  logLines: string[];
  /** Why logs could not be read, when they could not. */
  logError?: string;
}

/** Live apiserver addresses from the default/kubernetes Endpoints. */
export interface APIServerEndpoints {
  addresses: string[];
  port: number;
}

/** Everything `diagnose` looks at, for the whole cluster at one instant. */
export interface Observation {
  /** The current time (RFC 3339): the core's only clock. */
  now: string;
  nodes: NodeView[];
  /**
   * `nodes` by name, from a builder that keeps them so anyway (the controller follows the Node
   * cache change by change): core then finds a node without searching `nodes`. It must agree
   * with `nodes` while the Observation is read; core reads an Observation synchronously.
   */
  nodesByName?: ReadonlyMap<string, NodeView>;
  apiServices: APIServiceView[];
  konnectivityAgents: KonnectivityAgentView[];
  /** Whether konnectivity is in use at all (agents found, or the distribution runs it). */
  konnectivityDeployed: boolean;
  apiServerEndpoints?: APIServerEndpoints;
  /** podIP:port of the netmedic probe pod on each node (node name → endpoint), when known. */
  probeEndpoints?: Record<string, string>;
  /** NetworkHealth objects by node name: agent facts, probes, results, previous remediation state. */
  networkHealth: Record<string, NetworkHealth>;
  /**
   * spec.renewTime (RFC 3339) of each node's agent heartbeat Lease (netmedic-node-lease/<node>), by
   * node name, where known: the agent's liveness between reports (core's lastAgentHeartbeat).
   * Absent (the CLI, a snapshot, an agent that cannot write its Lease): the reports alone count.
   */
  agentLeaseRenewTimes?: Record<string, string>;
}
