/**
 * The agent and probe DaemonSets the controller owns, built from its config. The agent must be
 * resident on every node before that node loses its API connection (a NotReady node starts no new
 * pods), so it tolerates every taint by default and runs in the host's network and PID namespaces.
 */
import type { V1DaemonSet, V1PodSpec } from "@kubernetes/client-node";
import type { AgentDaemonSetConfig } from "../config/config.js";

/** What the DaemonSets are built from. */
export interface WorkloadSettings {
  namespace: string;
  image: string;
  agent: AgentDaemonSetConfig;
  /** Port the probe pods listen on (in the pod network). */
  probePort: number;
}

/** Label values that identify netmedic's own pods. */
export const COMPONENT_LABEL = "app.kubernetes.io/component";
const NAME_LABELS = { "app.kubernetes.io/name": "netmedic", "app.kubernetes.io/managed-by": "netmedic-controller" };
/** Default port of the probe pods. */
export const DEFAULT_PROBE_PORT = 9465;

function labels(component: string): Record<string, string> {
  return { ...NAME_LABELS, [COMPONENT_LABEL]: component };
}

const NODE_NAME_ENV = { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } };
/**
 * The agent's node flags. --jitless: no TurboFan/Sparkplug code generation, so the ~4 MB of the node
 * binary's compiler code is never paged in (and no W^X JIT pages in a privileged pod); the idle agent's
 * CPU is unchanged (bench/RESULTS.md "Agent footprint"). It disables WebAssembly, which the agent does
 * not use. (The GC flag it needs, --optimize-for-size, is not allowed here: agent/main.ts sets it.)
 */
export const AGENT_NODE_OPTIONS = "--jitless";

/** A DaemonSet of one netmedic component around the given pod spec (rolling, one node at a time). */
function componentDaemonSet(component: string, settings: WorkloadSettings, podSpec: V1PodSpec): V1DaemonSet {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: `netmedic-${component}`, namespace: settings.namespace, labels: labels(component) },
    spec: {
      selector: { matchLabels: { "app.kubernetes.io/name": "netmedic", [COMPONENT_LABEL]: component } },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: labels(component) },
        spec: { ...podSpec, tolerations: settings.agent.tolerations, nodeSelector: settings.agent.nodeSelector },
      },
    },
  };
}

/**
 * The agent's API credentials as a projected volume at the in-cluster path, which kubelets fill
 * with a token bound to the Pod (TokenRequest with the Pod as bound object). Kubernetes 1.21+ mounts
 * this by default; 1.20 mounts a Secret token with no Pod in it, which the node-identity webhook
 * refuses (it needs the Pod to know the agent's node: src/controller/admission/pod-nodes.ts).
 */
const AGENT_TOKEN_VOLUME = {
  name: "kube-api-access",
  projected: {
    defaultMode: 0o444,
    sources: [
      { serviceAccountToken: { path: "token", expirationSeconds: 3607 } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
      { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
    ],
  },
};

/** The privileged node agent: hostNetwork + hostPID, enters PID 1's namespaces with nsenter. */
export function agentDaemonSet(settings: WorkloadSettings): V1DaemonSet {
  return componentDaemonSet("agent", settings, withStateDir({
    serviceAccountName: "netmedic-agent",
    automountServiceAccountToken: false,
    volumes: [AGENT_TOKEN_VOLUME],
    hostNetwork: true,
    hostPID: true,
    dnsPolicy: "ClusterFirstWithHostNet",
    priorityClassName: "system-node-critical",
    containers: [{
      name: "agent",
      image: settings.image,
      args: ["agent", "--node-name=$(NODE_NAME)", "--host-pid=1", `--heartbeat=${settings.agent.heartbeatSeconds}s`],
      env: [NODE_NAME_ENV, { name: "NODE_OPTIONS", value: AGENT_NODE_OPTIONS }],
      resources: settings.agent.resources,
      securityContext: { privileged: true, runAsUser: 0, readOnlyRootFilesystem: true },
      volumeMounts: [{ name: AGENT_TOKEN_VOLUME.name, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true }],
    }],
  }));
}

/**
 * The agent's state directory on the node, where it checkpoints every order before changing the
 * host (docs/architecture.md §4 "Checkpoint and dead-man switch"): a hostPath, because the
 * checkpoint must outlive the container, the pod and a reboot for the next agent to roll it back.
 */
export const AGENT_STATE_DIR = "/var/lib/netmedic";

/** Adds the state directory's hostPath volume, its mount and --state-dir to the agent's pod spec. */
function withStateDir(spec: V1PodSpec): V1PodSpec {
  const volume = { name: "state", hostPath: { path: AGENT_STATE_DIR, type: "DirectoryOrCreate" } };
  const mount = { name: volume.name, mountPath: AGENT_STATE_DIR };
  const containers = spec.containers.map((c) => ({ ...c, args: [...(c.args ?? []), `--state-dir=${AGENT_STATE_DIR}`], volumeMounts: [...(c.volumeMounts ?? []), mount] }));
  return { ...spec, volumes: [...(spec.volumes ?? []), volume], containers };
}

/** The unprivileged probe: pod network, no API token, answers only its node's agent. Placed wherever the agent is. */
export function probeDaemonSet(settings: WorkloadSettings): V1DaemonSet {
  return componentDaemonSet("probe", settings, {
    serviceAccountName: "netmedic-probe",
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
    containers: [{
      name: "probe",
      image: settings.image,
      args: ["probe", `--listen=0.0.0.0:${settings.probePort}`, "--allow=$(HOST_IP)/32"],
      env: [{ name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } }],
      ports: [{ name: "probe", containerPort: settings.probePort, protocol: "TCP" }],
      resources: { requests: { cpu: "5m", memory: "24Mi" }, limits: { memory: "64Mi" } },
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
    }],
  });
}

/** node name → "podIP:port" of each running probe pod (for the probe-targets probeEndpoint). */
export function probeEndpointsByNode(
  pods: Array<{ metadata?: { labels?: Record<string, string> }; spec?: { nodeName?: string }; status?: { podIP?: string; phase?: string } }>,
  probePort: number,
): Record<string, string> {
  const endpoints: Record<string, string> = {};
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    const ip = pod.status?.podIP;
    if (pod.metadata?.labels?.[COMPONENT_LABEL] !== "probe" || !node || !ip || pod.status?.phase !== "Running") continue;
    endpoints[node] = ip.includes(":") ? `[${ip}]:${probePort}` : `${ip}:${probePort}`;
  }
  return endpoints;
}
