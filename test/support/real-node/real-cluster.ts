/**
 * A cluster of real nodes for the real-node suite: its own control plane (ServiceAccount admission,
 * Node authorizer and NodeRestriction on, as clusters run them; the shared plane keeps them off), the
 * socat path from the labs to the apiserver, the egress proxy that lets the apiserver reach kubelets,
 * `default/kubernetes` pointing at the labs' API address (kube-proxy serves it as ClusterIP
 * 10.96.0.1), and one lab per node running containerd, kubelet and kube-proxy.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig, type V1Node } from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../control-plane/control-plane.js";
import { nsenterArgv, run, waitFor } from "../lab/run.js";
import { API_ADDRESS, API_PORT, startApiPath } from "./api-path.js";
import { findNodeBinaries } from "./binaries.js";
import { startEgressProxy, type EgressRoute } from "./egress-proxy.js";
import { startRealNode, type RealNode, type RealNodeSetup } from "./real-node.js";

/** The `kubernetes` Service's ClusterIP in the plane's 10.96.0.0/16 service range. */
export const KUBERNETES_CLUSTER_IP = "10.96.0.1";

/** A node to start: its name, its lab's fault state, its CNI's masquerading, a preparation step. */
export type RealNodeSpec = Pick<RealNodeSetup, "name" | "lab" | "ipMasq" | "prepare" | "kubeletServer">;

/** A running cluster of real nodes. */
export interface RealCluster {
  plane: ControlPlane;
  kubeConfig: KubeConfig;
  nodes: RealNode[];
  /** Scratch dir with every daemon's log (kept with NETMEDIC_E2E_KEEP=1). */
  dir: string;
  /** The egress proxy's UNIX socket (forwardToCluster reaches pods through it, as the apiserver does). */
  egressSocket: string;
  /** "host:port" of each tunnel the apiserver opened to a kubelet. */
  kubeletTunnels(): string[];
  stop(): Promise<void>;
}

/** Points default/kubernetes at the labs' API address (the plane's endpoint reconciler is off). */
async function publishApiEndpoint(core: CoreV1Api): Promise<void> {
  const body = { metadata: { name: "kubernetes", namespace: "default" }, subsets: [{ addresses: [{ ip: API_ADDRESS }], ports: [{ name: "https", port: API_PORT, protocol: "TCP" }] }] };
  await core.createNamespacedEndpoints({ namespace: "default", body }).catch(async (error: { code?: number }) => {
    if (error.code !== 409) throw error;
    await core.replaceNamespacedEndpoints({ name: "kubernetes", namespace: "default", body });
  });
}

/** Resolves once every named Node reports Ready=True. */
export async function waitForNodesReady(core: CoreV1Api, names: readonly string[], timeoutMs: number): Promise<V1Node[]> {
  return waitFor(`Nodes ${names.join(", ")} Ready`, timeoutMs, async () => {
    const nodes = (await core.listNode()).items.filter((n) => names.includes(n.metadata?.name ?? ""));
    const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    return ready.length === names.length ? ready : undefined;
  }, 500);
}

const inNetwork = (host: string, cidr: string): boolean => host.startsWith(cidr.replace(/0\/24$/, ""));

/** How long an agent counts as connected after its connection was last seen (the lab's 8132 listener drops idle ones after 30 s; the agent redials in 1 s). */
const AGENT_SEEN_MS = 35_000;

/**
 * Where the apiserver's egress goes, as konnectivity takes it: a node address from the lab's control
 * host; a pod address through the node's konnectivity agent, which serves the apiserver only while it
 * is connected to the server — an established connection on :8132 in that lab's control host (on the
 * k0s worker firewalld rejects it until netmedic heals the node). The agent then dials the pod from
 * its node, so the tunnel starts in the worker's network. Looked up at most every 2 s.
 */
function egressRoute(nodes: readonly RealNode[]): EgressRoute {
  const seen = new Map<RealNode, { checkedAt: number; connectedAt: number }>();
  const agentConnected = async (node: RealNode): Promise<boolean> => {
    const last = seen.get(node) ?? { checkedAt: 0, connectedAt: 0 };
    if (Date.now() - last.checkedAt >= 2000) {
      const ss = await run(nsenterArgv(node.lab.controlPid, ["net"], ["ss", "-Htn", "state", "established", "( sport = :8132 )"]));
      seen.set(node, { checkedAt: Date.now(), connectedAt: ss.code === 0 && ss.stdout.trim() !== "" ? Date.now() : last.connectedAt });
    }
    return Date.now() - (seen.get(node)?.connectedAt ?? 0) < AGENT_SEEN_MS;
  };
  return async (host) => {
    const byNode = nodes.find((n) => inNetwork(host, n.lab.addresses.nodeCIDR));
    if (byNode) return byNode.lab.controlPid;
    const byPod = nodes.find((n) => inNetwork(host, n.lab.addresses.podCIDR));
    return byPod && (await agentConnected(byPod)) ? byPod.lab.workerPid : undefined;
  };
}

/** Starts the plane and the nodes, one lab after the other; stops what started if anything fails. */
export async function startRealCluster(specs: readonly RealNodeSpec[]): Promise<RealCluster> {
  const bin = findNodeBinaries();
  if (bin instanceof Error) throw bin;
  const dir = mkdtempSync(join(tmpdir(), "netmedic-real-cluster-"));
  const nodes: RealNode[] = [];
  const egress = await startEgressProxy(join(dir, "egress.sock"), bin.socat, egressRoute(nodes));
  const nodeTokens = Object.fromEntries(specs.map((s) => [s.name, randomBytes(16).toString("hex")]));
  const proxyToken = randomBytes(16).toString("hex");
  let plane: ControlPlane | undefined;
  let apiPath: ReturnType<typeof startApiPath> | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopAll());
  const stopAll = async (): Promise<void> => {
    for (const node of nodes) await node.stop().catch(() => undefined);
    await apiPath?.stop();
    await plane?.stop();
    await egress.stop();
    if (process.env["NETMEDIC_E2E_KEEP"] !== "1") rmSync(dir, { recursive: true, force: true });
  };
  try {
    // No CRD up front: the user's `kubectl apply -k` installs it.
    plane = await startControlPlane({ crdsDir: null, realNodes: { apiAddresses: [KUBERNETES_CLUSTER_IP, API_ADDRESS], egressSocket: egress.socket, nodeTokens, proxyToken } });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(plane.kubeconfigPath);
    await publishApiEndpoint(kubeConfig.makeApiClient(CoreV1Api));
    apiPath = startApiPath(bin.socat, dir, Number(new URL(plane.server).port));
    const caData = readFileSync(plane.caCertPath).toString("base64");
    for (const spec of specs) {
      nodes.push(await startRealNode({ ...spec, bin, apiPath, caData, kubeletToken: nodeTokens[spec.name] ?? "", proxyToken, logDir: dir }));
    }
    await waitForNodesReady(kubeConfig.makeApiClient(CoreV1Api), specs.map((s) => s.name), 90_000);
    return { plane, kubeConfig, nodes, dir, egressSocket: egress.socket, kubeletTunnels: egress.tunnels, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
