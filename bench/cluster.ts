/**
 * Populates a bench control plane like a real k0s cluster of `size` workers: Ready Nodes with
 * realistic labels (loopback-only addresses: the apiserver's pods/log proxy reaches the kubelet
 * stand-in here and nothing else), one konnectivity-agent Pod per node (Running, k0s args),
 * default/kubernetes Endpoints (192.168.1.41:6443, data only: loopback is refused there), and what the node agents report under field manager netmedic-agent.
 */
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import { FIELD_MANAGER_AGENT, type HostFacts, type ProbeResult } from "../src/api/index.js";
import { NetworkHealthClient } from "../src/k8s/networkhealth-client.js";
import { healthyFacts } from "../test/fixtures/cluster.js";
import { pool } from "./lib.js";

/** Request options of a JSON merge patch. */
export const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
/** What a connected konnectivity-agent logs: the kubelet stand-in serves it as every pod's log. */
export const HEALTHY_LOG = "I1123 09:00:00.000000       1 client.go:224] \"Connect to server\" serverID=\"bench\"\n";
/** Client-side concurrency of the bench's own writes (FACTS §4 measured throughput at 32). */
export const BENCH_CONCURRENCY = 32;
/** The konnectivity server address the pods carry: data only, never dialled (FACTS §5). */
const KONNECTIVITY_SERVER = "192.168.1.41";

/** Name of worker `i`. */
export const workerName = (i: number) => `worker-${String(i).padStart(5, "0")}`;

/** Whether worker `i` starts broken (every 10th: IP forwarding off). */
export const startsBroken = (i: number) => i % 10 === 7;

/** Creates the namespaces, Endpoints, Nodes and konnectivity-agent Pods; resolves with the node names. */
export async function populate(admin: KubeConfig, size: number, kubeletPort: number): Promise<string[]> {
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: "netmedic" } } });
  await core.createNamespacedEndpoints({ namespace: "default", body: {
    metadata: { name: "kubernetes" }, subsets: [{ addresses: [{ ip: KONNECTIVITY_SERVER }], ports: [{ name: "https", port: 6443, protocol: "TCP" }] }],
  } });
  const indexes = Array.from({ length: size }, (_, i) => i);
  await pool(indexes, BENCH_CONCURRENCY, (i) => createNode(core, workerName(i), i, kubeletPort));
  await pool(indexes, BENCH_CONCURRENCY, (i) => createAgentPod(core, workerName(i)));
  return indexes.map(workerName);
}

async function createNode(core: CoreV1Api, name: string, i: number, kubeletPort: number): Promise<void> {
  const labels = {
    "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
    "beta.kubernetes.io/arch": "amd64", "node.k0sproject.io/role": "worker", "topology.kubernetes.io/zone": `zone-${i % 3}`,
  };
  await core.createNode({ body: { metadata: { name, labels }, spec: { podCIDR: `10.${244 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32` } } });
  const now = new Date().toISOString();
  const status = {
    addresses: [{ type: "InternalIP", address: "127.0.0.1" }, { type: "Hostname", address: name }],
    daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
    nodeInfo: { kubeletVersion: "v1.20.2+k0s", containerRuntimeVersion: "containerd://1.4.3", kernelVersion: "5.10.0", osImage: "Debian GNU/Linux 11",
      operatingSystem: "linux", architecture: "amd64", kubeProxyVersion: "v1.20.2", machineID: "", systemUUID: "", bootID: "" },
    conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: now, lastTransitionTime: now }],
  };
  await core.patchNodeStatus({ name, body: { status } }, MERGE);
}

/**
 * A konnectivity-agent pod as a k0s DaemonSet really makes it — service-account volumes, env,
 * tolerations, node affinity, container statuses — so the controller's pod cache costs here what
 * it costs in a cluster (a pod with only the fields the controller reads would hide its footprint).
 */
async function createAgentPod(core: CoreV1Api, nodeName: string): Promise<void> {
  const name = `konnectivity-agent-${nodeName}`;
  const args = ["--logtostderr=true", "--ca-cert=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", `--proxy-server-host=${KONNECTIVITY_SERVER}`,
    "--proxy-server-port=8132", "--service-account-token-path=/var/run/secrets/tokens/konnectivity-agent-token", "--agent-identifiers=host=$(NODE_IP)"];
  const tolerations = ["not-ready", "unreachable", "disk-pressure", "memory-pressure", "pid-pressure", "unschedulable", "network-unavailable"]
    .map((taint) => ({ key: `node.kubernetes.io/${taint}`, operator: "Exists", effect: taint === "not-ready" || taint === "unreachable" ? "NoExecute" : "NoSchedule" }));
  await core.createNamespacedPod({ namespace: "kube-system", body: {
    metadata: {
      name, labels: { "k8s-app": "konnectivity-agent", "controller-revision-hash": "7c9b5d8f4d", "pod-template-generation": "1" },
      annotations: { "prometheus.io/port": "8093", "prometheus.io/scrape": "true" },
    },
    spec: {
      nodeName, serviceAccountName: "konnectivity-agent", priorityClassName: "system-cluster-critical", priority: 2000000000,
      containers: [{
        name: "konnectivity-agent", image: "quay.io/k0sproject/apiserver-network-proxy-agent:v0.0.32-k0s1", imagePullPolicy: "IfNotPresent",
        command: ["/proxy-agent"], args,
        env: [{ name: "NODE_IP", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "status.hostIP" } } }],
        volumeMounts: [
          { name: "konnectivity-agent-token", mountPath: "/var/run/secrets/tokens" },
          { name: "kube-api-access-8x2vq", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true },
        ],
        terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File",
      }],
      volumes: [
        { name: "konnectivity-agent-token", projected: { defaultMode: 420, sources: [{ serviceAccountToken: { audience: "system:konnectivity-server", expirationSeconds: 3600, path: "konnectivity-agent-token" } }] } },
        { name: "kube-api-access-8x2vq", projected: { defaultMode: 420, sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
          { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
          { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
        ] } },
      ],
      tolerations: [{ operator: "Exists" }, ...tolerations],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [nodeName] }] }] } } },
      dnsPolicy: "ClusterFirst", restartPolicy: "Always", schedulerName: "default-scheduler", terminationGracePeriodSeconds: 30,
    },
  } });
  const now = new Date().toISOString();
  const conditions = ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: now }));
  await core.patchNamespacedPodStatus({ name, namespace: "kube-system", body: { status: {
    phase: "Running", conditions, hostIP: "127.0.0.1", podIP: "10.244.0.2", podIPs: [{ ip: "10.244.0.2" }], startTime: now, qosClass: "BestEffort",
    containerStatuses: [{
      name: "konnectivity-agent", ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } },
      image: "quay.io/k0sproject/apiserver-network-proxy-agent:v0.0.32-k0s1",
      imageID: "quay.io/k0sproject/apiserver-network-proxy-agent@sha256:9f2a6c1d0e7b4f5a8c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
      containerID: `containerd://${Buffer.from(nodeName).toString("hex").padEnd(64, "0").slice(0, 64)}`,
    }],
  } } }, MERGE);
}

/** The facts an agent reports: healthy k0s worker facts, or with IP forwarding off when `broken`. */
export function agentFacts(broken: boolean): HostFacts {
  const facts = healthyFacts({ collectedAt: new Date().toISOString() });
  if (broken && facts.sysctl) facts.sysctl = { ...facts.sysctl, ipForward: 0 };
  return facts;
}

/** A successful pod-network probe to the konnectivity server (what a healthy agent reports). */
export function podProbe(): ProbeResult {
  return { from: "Pod", purpose: "Konnectivity", result: "ok", target: `${KONNECTIVITY_SERVER}:8132`, latencyMs: 1, time: new Date().toISOString() };
}

/** Applies an agent report to `node`'s NetworkHealth status as netmedic-agent (SSA). */
export async function reportAsAgent(agent: NetworkHealthClient, node: string, broken: boolean): Promise<void> {
  const now = new Date().toISOString();
  await agent.applyStatus(node, { facts: agentFacts(broken), probes: [podProbe()], agent: { heartbeatTime: now, version: "bench" } });
}

/** A NetworkHealth client writing as the node agent. */
export const agentClient = (admin: KubeConfig) => new NetworkHealthClient(admin, FIELD_MANAGER_AGENT);
