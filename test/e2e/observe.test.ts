// Observe mode end to end: the same broken k0s worker and the same real processes, but the
// controller runs with `remediation.mode: Observe`. The fault is diagnosed and the exact fix is
// proposed in status.remediation.proposed — and nothing at all changes on the node.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { startLab, type Lab } from "../support/lab/index.js";
import { deleteObjects, e2eConfig, removeE2EDir, startControllerProcess, type E2EEnv } from "../support/e2e/controller.js";
import { k0sLabState, startK0sWorker, type K0sWorker } from "../support/e2e/k0s-worker.js";
import { hasCondition, NetworkHealthFollower } from "../support/e2e/networkhealth.js";
import type { RunningProcess } from "../support/e2e/processes.js";

const STORY_MS = 90_000;

describe("e2e: Observe mode diagnoses the k0s worker and proposes the fix without touching it", () => {
  const cluster = getTestCluster();
  const node = uniqueName("k0s-observed");
  const env: E2EEnv = { kubeConfig: cluster.kubeConfig, kubeconfigPath: cluster.kubeconfigPath, dir: mkdtempSync(join(tmpdir(), "netmedic-e2e-observe-")) };
  let lab: Lab;
  let worker: K0sWorker;
  let controller: RunningProcess;
  let follower: NetworkHealthFollower;
  let broken: Record<string, string>;

  beforeAll(async () => {
    lab = await startLab({ ipForward: 0, bridgeNfCallIptables: 0 });
    expect((await lab.execIn("worker", ["sysctl", "-w", `net.ipv4.conf.${lab.addresses.bridge}.forwarding=1`])).code).toBe(0);
    broken = await k0sLabState(lab);
    worker = await startK0sWorker(env, lab, node);
    controller = await startControllerProcess(env, uniqueName("netmedic-e2e"), e2eConfig({ mode: "Observe" }));
    follower = new NetworkHealthFollower(cluster.kubeConfig, node).start();
  }, 180_000);

  afterAll(async () => {
    follower?.stop();
    await controller?.stop();
    await worker?.stop();
    await deleteObjects(cluster.kubeConfig, [node], worker ? [worker.pod] : []).catch(() => undefined);
    await lab?.stop();
    removeE2EDir(env);
  }, 60_000);

  it("diagnoses the fault and proposes exactly OpenHostFirewall, EnableIPForwarding, EnableBridgeNetfilter — without an order", async () => {
    const health = await follower.waitFor("a proposal in Observe mode", (h) => (h.status?.remediation?.proposed?.length ?? 0) > 0
      && hasCondition(h, "KonnectivityReachable", "False", "NoRouteToHost"), STORY_MS);
    expect(hasCondition(health, "HostFirewall", "False", "RejectingPodTraffic")).toBe(true);
    expect(hasCondition(health, "IPForwarding", "False", "Disabled")).toBe(true);
    expect(hasCondition(health, "Ready", "False", "Degraded")).toBe(true);
    expect(hasCondition(health, "Remediating", "False", "Idle")).toBe(true);
    const remediation = health.status?.remediation;
    expect(remediation?.proposed?.map((a) => a.action)).toEqual(["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"]);
    expect(remediation?.proposed?.[0]).toMatchObject({ podInterface: "cni0", podCIDR: lab.addresses.podCIDR, egressZone: "public", service: "k0s-worker" });
    expect(remediation).toMatchObject({ phase: "Idle", mode: "Observe" });
    expect(remediation?.actions ?? []).toEqual([]);
    expect(remediation?.orderId).toBeUndefined();
    expect(remediation?.message).toContain("Observe mode");
  }, STORY_MS);

  it("nothing changed in the lab after several agent rounds and reconciles: sysctls, firewalld zones, files; the pod still cannot reach 8132", async () => {
    // A heartbeat renews the agent's Lease, or writes its NetworkHealth where the Lease cannot be written.
    const reports = () => (worker.agent.output().match(/"msg":"(status reported|heartbeat Lease renewed)"/g) ?? []).length;
    const reportsBefore = reports();
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    expect(await k0sLabState(lab)).toEqual(broken);
    expect(broken).toMatchObject({ ipForward: "0", bridgeNfCallIptables: "0", sysctlConf: "absent" });
    expect(broken.zoneOfBridge).toContain("no zone");
    expect((await lab.tcpConnect("pod", lab.addresses.control, 8132, 2000)).result).toBe("EHOSTUNREACH");
    const health = await follower.read();
    expect(health?.status?.agent?.results ?? []).toEqual([]);
    expect(health?.status?.history ?? []).toEqual([]);
    expect(worker.agent.output()).not.toContain('"msg":"order received"');
    expect(worker.konnectivityAgent.output()).not.toContain("Connect to server");
    expect(follower.transitions.every((t) => t.health?.status?.remediation?.phase !== "Pending")).toBe(true);
    // The agent kept heartbeating all along (it was not idle: there was just nothing it was told to do).
    expect(reports()).toBeGreaterThan(reportsBefore);
  }, 60_000);
});
