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
import { waitFor } from "../lab/run.js";
import { API_ADDRESS, API_PORT, startApiPath } from "./api-path.js";
import { findNodeBinaries } from "./binaries.js";
import { startEgressProxy } from "./egress-proxy.js";
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

/** Starts the plane and the nodes, one lab after the other; stops what started if anything fails. */
export async function startRealCluster(specs: readonly RealNodeSpec[]): Promise<RealCluster> {
  const bin = findNodeBinaries();
  if (bin instanceof Error) throw bin;
  const dir = mkdtempSync(join(tmpdir(), "netmedic-real-cluster-"));
  const nodes: RealNode[] = [];
  const egress = await startEgressProxy(join(dir, "egress.sock"), bin.socat,
    (host) => nodes.find((n) => host.startsWith(n.lab.addresses.nodeCIDR.replace(/0\/24$/, "")))?.lab.controlPid);
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
    return { plane, kubeConfig, nodes, dir, kubeletTunnels: egress.tunnels, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
