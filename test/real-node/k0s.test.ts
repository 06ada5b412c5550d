// The k0s firewalld incident on real nodes, installed as a user installs netmedic: two lab nodes
// running containerd + kubelet + kube-proxy (one broken like the k0s worker, one healthy), the image
// built from the Dockerfile, `kubectl apply -k` of deploy/ with only the image overridden. The
// controller runs as real pods, creates the agent and probe DaemonSets, the kubelets run them, and
// the agent heals the broken node through nsenter into the node's PID 1. A real Prometheus (Debian's
// 2.42, on loopback, the shipped rules with `for:` shortened in its copy only) scrapes the controller
// pods the way the apiserver reaches pods and sees NetmedicAPIServiceUnavailable fire for the
// metrics API on the broken node, then resolve after the heal.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { AppsV1Api, CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { REMEDIATION_ANNOTATION } from "../../src/api/index.js";
import { hasCondition, NetworkHealthFollower } from "../support/e2e/networkhealth.js";
import { eventually } from "../support/e2e/processes.js";
import { machineState } from "../lab/agent-support.js";
import { API_ADDRESS } from "../support/real-node/api-path.js";
import { startRealCluster, type RealCluster } from "../support/real-node/real-cluster.js";
import { konnectivityAgentDaemonSet, kubectl, OVERLAY } from "../support/real-node/workloads.js";
import { k0sLabState } from "../support/e2e/k0s-worker.js";
import { nodeProcessState, realNodeMachineState } from "../support/real-node/inspect.js";
import { installMetricsAPI, METRICS_API, metricsAPIAvailable } from "../support/real-node/metrics-api.js";
import { startClusterPrometheus, type ClusterPrometheus } from "../support/real-node/cluster-prometheus.js";

const STORY_MS = 180_000;
const BROKEN = "rn-k0s-worker";
const HEALTHY = "rn-healthy";
const ORDER = ["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"];

describe("real nodes: kubectl apply -k installs netmedic, the kubelet runs it, the k0s incident heals", () => {
  let cluster: RealCluster;
  let broken: NetworkHealthFollower;
  let healthy: NetworkHealthFollower;
  let before: Record<string, unknown>;
  let healthyLabBefore: Record<string, string>;
  let prometheus: ClusterPrometheus | undefined;
  const k0sMarker = (lab: { writeFile(p: string, c: string): Promise<void> }) => lab.writeFile("/var/lib/k0s/.netmedic-lab", "");
  const core = () => cluster.kubeConfig.makeApiClient(CoreV1Api);
  const kube = (...args: string[]) => kubectl(cluster.plane.kubeconfigPath, ...args);
  const netmedicPods = async (component: string): Promise<V1Pod[]> =>
    (await core().listNamespacedPod({ namespace: "netmedic", labelSelector: `app.kubernetes.io/component=${component}` })).items;

  beforeAll(async () => {
    before = await realNodeMachineState(await machineState());
    cluster = await startRealCluster([
      { name: BROKEN, lab: { ipForward: 0, bridgeNfCallIptables: 0 }, ipMasq: false, prepare: async (lab) => {
        await k0sMarker(lab);
        // The incident's twist (docs/architecture.md §8.1): the CNI forwards on its own bridge while ip_forward reads 0.
        const r = await lab.execIn("worker", ["sysctl", "-w", `net.ipv4.conf.${lab.addresses.bridge}.forwarding=1`]);
        if (r.code !== 0) throw new Error(r.stderr);
      } },
      { name: HEALTHY, lab: { ipForward: 1, bridgeNfCallIptables: 1, firewalld: false }, ipMasq: true, prepare: k0sMarker },
    ]);
    healthyLabBefore = await k0sLabState(cluster.nodes[1]!.lab);
    await cluster.kubeConfig.makeApiClient(AppsV1Api).createNamespacedDaemonSet({ namespace: "kube-system", body: konnectivityAgentDaemonSet(API_ADDRESS) });
    // metrics-server's APIService backed by a pod on the broken node (the incident's kubectl top failure).
    await installMetricsAPI(cluster.kubeConfig, BROKEN);
    // The user looks before letting netmedic act: the broken node opts out until its diagnosis is read.
    // Without this the order can come with the first verdict, before the probe pod (started beside the
    // agent) has answered, and the heal can beat any KonnectivityReachable evidence.
    const optOut = await kube("annotate", "node", BROKEN, `${REMEDIATION_ANNOTATION}=disabled`);
    if (optOut.code !== 0) throw new Error(optOut.stderr);
    broken = new NetworkHealthFollower(cluster.kubeConfig, BROKEN).start(1000);
    healthy = new NetworkHealthFollower(cluster.kubeConfig, HEALTHY).start(1000);
  }, 400_000);

  afterAll(async () => {
    await prometheus?.stop();
    broken?.stop();
    healthy?.stop();
    await cluster?.stop();
  }, 120_000);

  it("two real nodes registered by their kubelets (containerd 1.6, kubelet v1.20.2) turn Ready", async () => {
    const nodes = (await core().listNode()).items;
    expect(nodes.map((n) => n.metadata?.name).sort()).toEqual([BROKEN, HEALTHY].sort());
    for (const n of nodes) {
      expect(n.status?.nodeInfo).toMatchObject({ containerRuntimeVersion: "containerd://1.6.20", kubeletVersion: "v1.20.2", kubeProxyVersion: "v1.20.2" });
      expect(n.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    }
  });

  it("kubectl apply -k of deploy/ (image overridden) installs everything this v1.20 apiserver serves; only the policy/v1 PDB is refused", async () => {
    const applied = await kube("apply", "-k", OVERLAY);
    // kubectl's discovery complains about the metrics API the broken node makes unavailable, as in the incident.
    const refused = applied.stderr.trim().split("\n").filter((line) => line && !line.includes("couldn't get resource list for metrics.k8s.io/v1beta1"));
    // kubectl's error for the PDB is two lines: the mapping failure and its hint.
    expect(refused.filter((line) => !/no matches for kind "PodDisruptionBudget" in version "policy\/v1"|^ensure CRDs are installed first$/.test(line))).toEqual([]);
    expect(refused).toHaveLength(2);
    for (const kind of ["customresourcedefinition.apiextensions.k8s.io/networkhealths.netmedic.io", "namespace/netmedic", "deployment.apps/netmedic-controller",
      "configmap/netmedic-config", "serviceaccount/netmedic-agent", "clusterrole.rbac.authorization.k8s.io/netmedic-agent"]) {
      expect(applied.stdout).toContain(kind);
    }
  }, 60_000);

  it("the controller runs as real pods on both nodes and creates the agent and probe DaemonSets, which the kubelets run", async () => {
    for (const component of ["controller", "agent", "probe"]) {
      const pods = await eventually(`netmedic ${component} pods Running on both nodes`, async () => {
        const running = (await netmedicPods(component)).filter((p) => p.status?.phase === "Running");
        return new Set(running.map((p) => p.spec?.nodeName)).size === 2 ? running : undefined;
      }, STORY_MS, 1000);
      expect(pods.every((p) => p.spec?.containers[0]?.image === "localhost/netmedic:dev")).toBe(true);
    }
  }, STORY_MS * 3);

  it(`while the broken node is broken, a real Prometheus scraping the controller pods fires NetmedicAPIServiceUnavailable for ${METRICS_API} (the aggregator's discovery check fails)`, async () => {
    const controllers = (await netmedicPods("controller")).map((p) => `${p.status?.podIP ?? ""}:9464`);
    prometheus = await startClusterPrometheus(cluster.egressSocket, controllers);
    const alert = await eventually("NetmedicAPIServiceUnavailable firing", async () =>
      (await prometheus!.alerts("NetmedicAPIServiceUnavailable", { name: METRICS_API })).find((a) => a.state === "firing"), STORY_MS, 1000);
    expect(alert.labels["severity"]).toBe("warning");
    expect(alert.annotations["summary"]).toBe(`APIService ${METRICS_API} is unavailable`);
    expect(await prometheus.values(`netmedic_apiservice_available{name="${METRICS_API}"}`)).toContain("0");
    expect(await metricsAPIAvailable(cluster.kubeConfig)).toMatchObject({ status: "False", reason: "FailedDiscoveryCheck" });
  }, STORY_MS);

  it("while the broken node opts out: HostFirewall RejectingPodTraffic, IPForwarding Disabled, KonnectivityReachable NoRouteToHost from the pod-network probe, and no order", async () => {
    const diagnosed = await broken.waitFor("the full diagnosis", (h) => hasCondition(h, "HostFirewall", "False", "RejectingPodTraffic") &&
      hasCondition(h, "IPForwarding", "False", "Disabled") && hasCondition(h, "KonnectivityReachable", "False", "NoRouteToHost"), STORY_MS);
    expect(diagnosed.status?.diagnosis?.rootCause).toBe("RejectingPodTraffic");
    expect(diagnosed.status?.diagnosis?.evidence?.join("\n")).toContain("EHOSTUNREACH");
    expect(broken.transitions.some((t) => (t.health?.status?.remediation?.actions?.length ?? 0) > 0)).toBe(false);
  }, STORY_MS);

  it("removing the opt-out annotation (kubectl annotate node …-) brings the three fixes ordered", async () => {
    const optIn = await kube("annotate", "node", BROKEN, `${REMEDIATION_ANNOTATION}-`);
    expect(optIn.code).toBe(0);
    const ordered = await broken.waitFor("an order", (h) => (h.status?.remediation?.actions?.length ?? 0) > 0, STORY_MS);
    expect(ordered.status?.remediation?.actions?.map((a) => a.action)).toEqual(ORDER);
  }, STORY_MS);

  it("the agent pod heals the broken node for real through nsenter: Ready=True, Remediating Succeeded, the lab's firewalld and sysctls changed", async () => {
    const healed = await broken.waitFor("Ready=True and Remediating Succeeded", (h) => hasCondition(h, "Ready", "True", "Healthy") && hasCondition(h, "Remediating", "False", "Succeeded"), STORY_MS);
    expect(healed.status?.history?.map((h) => [h.action, h.result])).toEqual(ORDER.map((a) => [a, "Succeeded"]));
    const lab = cluster.nodes[0]!.lab;
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe("1");
    expect(await lab.readSysctl("net.bridge.bridge-nf-call-iptables")).toBe("1");
    expect((await lab.execIn("worker", ["firewall-cmd", `--get-zone-of-interface=${lab.addresses.bridge}`])).stdout.trim()).toBe("trusted");
    expect((await lab.execIn("worker", ["firewall-cmd", "--zone=public", "--query-masquerade"])).stdout.trim()).toBe("yes");
  }, STORY_MS);

  it(`after the heal the apiserver reaches the metrics API pod again: ${METRICS_API} Available, netmedic_apiservice_available 1 and the alert resolved in Prometheus`, async () => {
    await eventually(`${METRICS_API} Available=True`, async () => (await metricsAPIAvailable(cluster.kubeConfig)).status === "True" || undefined, STORY_MS, 1000);
    await eventually("netmedic_apiservice_available 1 in every scraped replica", async () => {
      const values = await prometheus!.values(`netmedic_apiservice_available{name="${METRICS_API}"}`);
      return values.length > 0 && values.every((v) => v === "1") || undefined;
    }, 60_000, 1000);
    await eventually("NetmedicAPIServiceUnavailable resolved", async () => (await prometheus!.alerts("NetmedicAPIServiceUnavailable")).length === 0 || undefined, 60_000, 1000);
    expect(await prometheus!.values(`ALERTS{alertname="NetmedicAPIServiceUnavailable"}`)).toEqual([]);
    // The series NetmedicNodeIdentityUnguarded judges, from the real scrape of the shipped controllers:
    // each replica's guard check (every minute) reaches its webhook through the Service.
    await eventually("netmedic_node_identity_guarded 1 in every scraped replica", async () => {
      const values = await prometheus!.values("netmedic_node_identity_guarded");
      return values.length > 0 && values.every((v) => v === "1") || undefined;
    }, 90_000, 1000);
  }, STORY_MS + 210_000);

  it("the konnectivity-agent pod on the broken node logged \"no route to host\", then \"Connect to server\" (kubectl logs through the kubelet)", async () => {
    const pod = (await core().listNamespacedPod({ namespace: "kube-system", labelSelector: "k8s-app=konnectivity-agent", fieldSelector: `spec.nodeName=${BROKEN}` })).items[0];
    const logs = await eventually('"Connect to server" in kubectl logs', async () => {
      const r = await kube("logs", "-n", "kube-system", pod?.metadata?.name ?? "");
      if (r.code !== 0) throw new Error(`kubectl logs: ${r.stderr.trim()}`);
      return r.stdout.includes('"Connect to server"') ? r.stdout : undefined;
    }, 60_000, 1000);
    expect(logs).toContain(`dial tcp ${API_ADDRESS}:8132: connect: no route to host`);
    expect(cluster.kubeletTunnels().some((t) => t.endsWith(":10250"))).toBe(true);
  }, 90_000);

  it("the healthy node stays Ready with no order, and nothing on it changed; maxConcurrent 1 held", async () => {
    const seen = await healthy.waitFor("Ready=True", (h) => hasCondition(h, "Ready", "True", "Healthy"), STORY_MS);
    expect(seen.status?.remediation?.actions ?? []).toEqual([]);
    expect(healthy.transitions.some((t) => hasCondition(t.health, "Remediating", "True"))).toBe(false);
    expect(await k0sLabState(cluster.nodes[1]!.lab)).toEqual(healthyLabBefore);
  }, STORY_MS);

  it("the pods run as deploy/ says: the probe non-root with a read-only root and no token, the agent privileged in the node's PID namespace", async () => {
    const probe = await nodeProcessState(cluster.nodes[0]!, "probe");
    expect(probe).toMatchObject({ uid: "65532", rootReadOnly: true, serviceAccountToken: false });
    const agent = await nodeProcessState(cluster.nodes[0]!, "agent");
    expect(agent).toMatchObject({ uid: "0", sharesNodePidNamespace: true });
  }, 60_000);

  it("Events are recorded; kubectl delete -k removes the install and leaves the node's fixes in place", async () => {
    const events = await kube("get", "events", "-A", "--field-selector", `involvedObject.name=${BROKEN}`, "-o", "name");
    expect(events.stdout.trim().split("\n").length).toBeGreaterThan(0);
    const fixed = await k0sLabState(cluster.nodes[0]!.lab);
    const deleted = await kube("delete", "-k", OVERLAY, "--wait=true", "--timeout=90s");
    expect(deleted.stdout).toContain("deployment.apps \"netmedic-controller\" deleted");
    await eventually("netmedic's pods gone", async () => ((await core().listNamespacedPod({ namespace: "netmedic" })).items.length === 0 ? true : undefined), 90_000, 1000);
    expect(await k0sLabState(cluster.nodes[0]!.lab)).toEqual(fixed);
  }, 180_000);

  it("this machine's own network, sysctls (the kubelet's included) and cgroups never changed", async () => {
    await prometheus?.stop();
    await cluster.stop();
    expect(await realNodeMachineState(await machineState())).toEqual(before);
  }, 120_000);
});
