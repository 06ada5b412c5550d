/**
 * The stable API contract (docs/architecture.md §2) in code: names, condition types and reasons,
 * annotations, field managers. Users, alerts and tests depend on these strings; change them only
 * with the design.
 */

/** API group, version and names of the NetworkHealth custom resource. */
export const API_GROUP = "netmedic.io";
export const API_VERSION = "v1alpha1";
export const NETWORK_HEALTH_KIND = "NetworkHealth";
export const NETWORK_HEALTH_PLURAL = "networkhealths";
/** apiVersion string of NetworkHealth objects. */
export const NETWORK_HEALTH_API_VERSION = `${API_GROUP}/${API_VERSION}`;

/** Server-side apply field managers: the two writers of one object own disjoint fields. */
export const FIELD_MANAGER_CONTROLLER = "netmedic-controller";
export const FIELD_MANAGER_AGENT = "netmedic-agent";

/** Node annotation that opts a node out of remediation when set to "disabled". */
export const REMEDIATION_ANNOTATION = "netmedic.io/remediation";

/**
 * NetworkHealth annotation a person sets to an orderId to let the controller order again the actions
 * the dead-man switch rolled back in that order and every earlier one (status.remediation.held).
 */
export const ROLLBACK_CLEAR_ANNOTATION = "netmedic.io/clear-rollback";

/** NetworkHealth annotation holding the controller's ProbeTargets as JSON (src/core/probe-targets.ts). */
export const PROBE_TARGETS_ANNOTATION = "netmedic.io/probe-targets";

/** Default namespace of netmedic's own workloads and config. */
export const NETMEDIC_NAMESPACE = "netmedic";
/**
 * Where each node's agent renews its heartbeat Lease (coordination.k8s.io/v1), one per Node and
 * named as the Node, as kubelets do in kube-node-lease: liveness lives in a small object of its own,
 * so a NetworkHealth changes (and is sent to every watcher) only when a report's content changes.
 */
export const AGENT_LEASE_NAMESPACE = "netmedic-node-lease";
/** holderIdentity of an agent's Lease is its node's name; this is the Lease's own label for selection and display. */
export const AGENT_LEASE_LABELS: Readonly<Record<string, string>> = { "app.kubernetes.io/name": "netmedic", "app.kubernetes.io/component": "agent-heartbeat" };
/** Name of the controller's ConfigMap. */
export const CONFIG_MAP_NAME = "netmedic-config";

/** Remediation modes: per cluster, per action, per node. */
export const REMEDIATION_MODES = ["Auto", "Observe", "Disabled"] as const;
export type RemediationMode = (typeof REMEDIATION_MODES)[number];

/** The allowlisted remediation actions, in the order they must run on one node (docs/architecture.md §4). */
export const ACTION_ORDER = [
  "OpenHostFirewall",
  "OpenUfw",
  "EnableIPForwarding",
  "EnableBridgeNetfilter",
  "LoadKernelModules",
  "LoosenReversePathFilter",
  "DisableVXLANChecksumOffload",
  "UnmanageCNILinks",
  "RepointAPIServerEndpoint",
] as const;

/** Actions that restart a node service: guarded by the circuit breaker. */
export const DISRUPTIVE_ACTIONS: ReadonlySet<string> = new Set(["RepointAPIServerEndpoint"]);

/** Condition types, with the reasons each may carry. */
export const CONDITION_REASONS = {
  Ready: ["Healthy", "Degraded", "Unknown"],
  IPForwarding: ["Enabled", "Disabled", "Unknown"],
  BridgeNetfilter: ["Enabled", "Disabled", "ModuleNotLoaded", "Unknown"],
  HostFirewall: ["NotPresent", "NotRunning", "Allowing", "RejectingPodTraffic", "MasqueradeDisabled", "UfwBlockingPodTraffic", "Unknown"],
  KonnectivityReachable: [
    "Connected", "NoRouteToHost", "Timeout", "Refused", "NoAgentAvailable", "NotDeployed",
    "ControlPlaneUnreachable", "Unknown",
  ],
  APIServerEndpoint: ["Healthy", "EtcdOnlyEndpoint", "Unreachable", "NotApplicable", "Unknown"],
  ReversePathFilter: ["NotStrict", "StrictWithoutDrops", "ManagedByCNI", "StrictOnPodLinks", "Unknown"],
  KernelModules: ["Loaded", "ModuleNotLoaded", "ModuleNotInstalled", "Unknown"],
  VXLANChecksumOffload: ["OffloadOff", "NoVXLANLink", "OffloadOnWithoutErrors", "BadChecksums", "Unknown"],
  NetworkManager: ["NotRunning", "CNILinksUnmanaged", "ManagingCNILinks", "CloudSetupEnabled", "Unknown"],
  ConntrackTable: ["Room", "NearlyFull", "Unknown"],
  IptablesBackends: ["OneBackend", "BothBackendsHoldKubeRules", "Unknown"],
  KubeletDNS: ["NoLoopbackNameserver", "NoResolvConf", "LoopbackNameserver", "Unknown"],
  OverlayMTU: ["Fits", "NoOverlayLink", "TooLargeForUnderlay", "Unknown"],
  AgentReporting: ["Reporting", "Stale", "NotRunning", "AwaitingFirstReport"],
  Remediating: ["Idle", "Pending", "Applying", "Succeeded", "Failed", "Blocked", "RolledBack"],
} as const;

/** A condition type of NetworkHealth. */
export type ConditionType = keyof typeof CONDITION_REASONS;

/** Condition types in the order they are written and printed. */
export const CONDITION_TYPES = Object.keys(CONDITION_REASONS) as ConditionType[];

/** Defaults for discovering konnectivity agents (overridable in the config). */
export const KONNECTIVITY_DEFAULT_NAMESPACE = "kube-system";
export const KONNECTIVITY_DEFAULT_SELECTOR = "k8s-app=konnectivity-agent";

/** Well-known node labels and annotations used as evidence. */
export const LABEL_ROLE_ETCD = "node-role.kubernetes.io/etcd";
export const LABEL_ROLE_CONTROL_PLANE = "node-role.kubernetes.io/control-plane";
export const LABEL_ROLE_MASTER = "node-role.kubernetes.io/master";
export const ANNOTATION_K3S_NODE_ARGS = "k3s.io/node-args";
export const ANNOTATION_RKE2_NODE_ARGS = "rke2.io/node-args";
