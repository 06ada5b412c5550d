// The k0s incident end to end (docs/architecture.md §7, layer 4): the real control plane, the node lab
// broken like the k0s worker (ip_forward=0 while the pod bridge forwards into firewalld's reject),
// and real processes — a konnectivity-agent stand-in, `netmedic probe`, `netmedic agent` and
// `netmedic controller`. The controller diagnoses, orders, the agent heals the lab for real, the
// konnectivity agent connects, and the NetworkHealth ends Ready=True with the history of the fix.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiregistrationV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1APIService } from "@kubernetes/client-node";
import { PROBE_TARGETS_ANNOTATION, type NetworkHealth } from "../../src/api/index.js";
import { decodeProbeTargets } from "../../src/core/index.js";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { startLab, type Lab } from "../support/lab/index.js";
import { deleteObjects, e2eConfig, removeE2EDir, startControllerProcess, type E2EEnv } from "../support/e2e/controller.js";
import { startK0sWorker, type K0sWorker } from "../support/e2e/k0s-worker.js";
import { hasCondition, NetworkHealthFollower } from "../support/e2e/networkhealth.js";
import { eventually, type RunningProcess } from "../support/e2e/processes.js";
import { machineState } from "../lab/agent-support.js";

const STORY_MS = 90_000;
const METRICS = "v1beta1.metrics.k8s.io";
const ORDER = ["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"];

describe("e2e: the k0s firewalld incident, diagnosed and healed by the real processes", () => {
  const cluster = getTestCluster();
  const node = uniqueName("k0s-worker");
  const env: E2EEnv = { kubeConfig: cluster.kubeConfig, kubeconfigPath: cluster.kubeconfigPath, dir: mkdtempSync(join(tmpdir(), "netmedic-e2e-k0s-")) };
  const apiServices = cluster.kubeConfig.makeApiClient(ApiregistrationV1Api);
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  let lab: Lab;
  let worker: K0sWorker;
  let controller: RunningProcess;
  let follower: NetworkHealthFollower;
  let before: Record<string, unknown>;
  const konnectivityLog = () => worker.konnectivityAgent.output();

  beforeAll(async () => {
    before = await machineState();
    lab = await startLab({ ipForward: 0, bridgeNfCallIptables: 0 });
    // The incident's twist (docs/architecture.md §8.3): ip_forward reads 0, yet the CNI enabled forwarding on its own
    // bridge, so pod traffic is forwarded straight into firewalld's reject → "no route to host".
    expect((await lab.execIn("worker", ["sysctl", "-w", `net.ipv4.conf.${lab.addresses.bridge}.forwarding=1`])).code).toBe(0);
    worker = await startK0sWorker(env, lab, node);
    // metrics-server's Service without endpoints (no pod ever runs here), and its APIService.
    await core.createNamespacedService({ namespace: "kube-system", body: { metadata: { name: "metrics-server" }, spec: { ports: [{ name: "https", port: 443 }] } } });
    await apiServices.createAPIService({ body: { metadata: { name: METRICS }, spec: {
      group: "metrics.k8s.io", version: "v1beta1", groupPriorityMinimum: 100, versionPriority: 100, insecureSkipTLSVerify: true,
      service: { namespace: "kube-system", name: "metrics-server", port: 443 },
    } } });
    controller = await startControllerProcess(env, uniqueName("netmedic-e2e"), e2eConfig());
    follower = new NetworkHealthFollower(cluster.kubeConfig, node).start();
  }, 180_000);

  afterAll(async () => {
    follower?.stop();
    await controller?.stop();
    await worker?.stop();
    await apiServices.deleteAPIService({ name: METRICS }).catch(() => undefined);
    await core.deleteNamespacedService({ name: "metrics-server", namespace: "kube-system" }).catch(() => undefined);
    await deleteObjects(cluster.kubeConfig, [node], worker ? [worker.pod] : []).catch(() => undefined);
    await lab?.stop();
    removeE2EDir(env);
  }, 60_000);

  it("before any fix, the konnectivity-agent stand-in logs the incident's line: dial tcp <control>:8132: connect: no route to host", async () => {
    const line = await eventually("a failed dial in the konnectivity-agent log", () => konnectivityLog().split("\n").find((l) => l.includes('"cannot connect once"')), 20_000);
    expect(line).toMatch(/^E\d{4} \d{2}:\d{2}:\d{2}\.\d{6} {7}1 clientset\.go:204\] "cannot connect once" err="rpc error: code = Unavailable/);
    expect(line).toContain(`dial tcp ${lab.addresses.control}:8132: connect: no route to host`);
  }, 30_000);

  it("diagnoses the worker: HostFirewall RejectingPodTraffic, IPForwarding Disabled, KonnectivityReachable NoRouteToHost, and orders the three fixes", async () => {
    const ordered = await follower.waitFor("an order with the diagnosis", (h) => (h.status?.remediation?.actions?.length ?? 0) > 0, STORY_MS);
    const diagnosed = follower.transitions.map((t) => t.health).find((h): h is NetworkHealth =>
      hasCondition(h, "HostFirewall", "False", "RejectingPodTraffic") && hasCondition(h, "IPForwarding", "False", "Disabled")
      && hasCondition(h, "KonnectivityReachable", "False", "NoRouteToHost") && hasCondition(h, "Ready", "False", "Degraded"));
    expect(diagnosed).toBeDefined();
    expect(diagnosed?.status?.diagnosis?.rootCause).toBe("RejectingPodTraffic");
    expect(diagnosed?.status?.diagnosis?.evidence?.join("\n")).toContain("EHOSTUNREACH");
    expect(ordered.status?.remediation?.actions?.map((a) => a.action)).toEqual(ORDER);
    expect(ordered.status?.remediation?.actions?.[0]).toMatchObject({ podInterface: "cni0", podCIDR: lab.addresses.podCIDR, egressZone: "public", service: "k0s-worker" });
    expect(decodeProbeTargets(ordered.metadata.annotations?.[PROBE_TARGETS_ANNOTATION]).targets).toMatchObject({ konnectivity: [`${lab.addresses.control}:8132`] });
  }, STORY_MS);

  it("the agent applies OpenHostFirewall → EnableIPForwarding → EnableBridgeNetfilter for real; the NetworkHealth ends Ready=True, Remediating Succeeded, history showing the actions", async () => {
    const healed = await follower.waitFor("Ready=True and Remediating Succeeded", (h) => hasCondition(h, "Ready", "True", "Healthy") && hasCondition(h, "Remediating", "False", "Succeeded"), STORY_MS);
    const orderId = healed.status?.remediation?.orderId;
    expect(healed.status?.agent?.results?.filter((r) => r.orderId === orderId).map((r) => [r.action, r.result])).toEqual(ORDER.map((a) => [a, "Succeeded"]));
    expect(healed.status?.history?.map((h) => [h.action, h.result])).toEqual(ORDER.map((a) => [a, "Succeeded"]));
    for (const type of ["IPForwarding", "BridgeNetfilter", "HostFirewall", "KonnectivityReachable", "AgentReporting"]) expect(hasCondition(healed, type, "True")).toBe(true);
    expect(hasCondition(healed, "KonnectivityReachable", "True", "Connected")).toBe(true);
    // The lab really changed: sysctls, firewalld's trusted zone and masquerade.
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe("1");
    expect(await lab.readSysctl("net.bridge.bridge-nf-call-iptables")).toBe("1");
    expect((await lab.execIn("worker", ["firewall-cmd", "--get-zone-of-interface=cni0"])).stdout.trim()).toBe("trusted");
    expect((await lab.execIn("worker", ["firewall-cmd", "--zone=public", "--query-masquerade"])).stdout.trim()).toBe("yes");
    // The order of execution on the node, from the agent's own result times.
    const times = ORDER.map((a) => healed.status?.agent?.results?.find((r) => r.orderId === orderId && r.action === a)?.time ?? "");
    expect([...times].sort()).toEqual(times);
  }, STORY_MS);

  it("the konnectivity-agent stand-in's log turns to \"Connect to server\"", async () => {
    const connected = await eventually('"Connect to server" in the konnectivity-agent log', () => konnectivityLog().split("\n").find((l) => l.includes('"Connect to server" serverID=')), 30_000);
    expect(connected).toMatch(/^I\d{4} .* client\.go:210\] "Connect to server" serverID="[0-9a-f-]{36}"$/);
    const lines = konnectivityLog().trim().split("\n");
    expect(lines.indexOf(connected)).toBeGreaterThan(0);
    expect(lines.slice(0, lines.indexOf(connected)).every((l) => l.includes('"cannot connect once"'))).toBe(true);
    expect((await lab.tcpConnect("pod", lab.addresses.control, 8132, 2000)).result).toBe("ok");
  }, 45_000);

  it("APIService v1beta1.metrics.k8s.io: the real aggregator owns its status and overwrites a patched \"No agent available\"", async () => {
    const read = () => apiServices.readAPIService({ name: METRICS });
    const available = (s: V1APIService) => s.status?.conditions?.find((c) => c.type === "Available");
    const own = await eventually("the aggregator's verdict", async () => available(await read()), 20_000);
    // A Service without a selector has no Endpoints object: the v1.20 aggregator's verdict for that.
    expect(own).toMatchObject({ status: "False", reason: "EndpointsNotFound", message: 'cannot find endpoints for service/metrics-server in "kube-system"' });
    const message = `failing or missing response from https://10.96.0.20:443/apis/metrics.k8s.io/v1beta1: Get "https://10.96.0.20:443/apis/metrics.k8s.io/v1beta1": No agent available`;
    const patched = { conditions: [{ type: "Available", status: "False", reason: "FailedDiscoveryCheck", message, lastTransitionTime: new Date() }] };
    await apiServices.patchAPIServiceStatus({ name: METRICS, body: { status: patched } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    const restored = await eventually("the aggregator to restore its own verdict", async () => {
      const condition = available(await read());
      return condition?.reason === "EndpointsNotFound" ? condition : undefined;
    }, 20_000, 100);
    expect(restored.message).not.toContain("No agent available");
  }, 60_000);

  it("the agent and the controller exit cleanly on SIGTERM, and this machine's own network and files never changed", async () => {
    expect(await controller.stop()).toBe(0);
    expect(await worker.agent.stop()).toBe(0);
    expect(controller.output()).not.toContain('"level":50');
    await worker.stop();
    expect(await machineState()).toEqual(before);
  }, 60_000);
});
