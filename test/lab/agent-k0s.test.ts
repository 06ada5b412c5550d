// The k0s incident (docs/architecture.md §8.1, §8.3) on the node lab: real network namespaces, real firewalld. The
// agent enters the worker through --host-pid, reports the broken facts and the pod network's
// ETIMEDOUT/EHOSTUNREACH (asked from a real `netmedic probe` in the pod netns), executes the
// approved order for real, verifies, and the pod reaches the controller's 8132 afterwards.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import type { PlannedAction } from "../../src/api/index.js";
import type { Agent } from "../../src/agent/agent.js";
import { startLab, type Lab } from "../support/lab/index.js";
import { captureLogger, machineState, MemoryNetworkHealthStore, startLabAgent, type PodProbe } from "./agent-support.js";

const DIAL_MS = 2500;

describe("agent on the k0s lab worker: facts, probes and the three host fixes", () => {
  let lab: Lab;
  let probe: PodProbe;
  let agent: Agent;
  let store: MemoryNetworkHealthStore;
  let before: Record<string, unknown>;
  const { logger, lines } = captureLogger();
  const status = () => store.object?.status ?? {};
  const probeResult = (from: string, target: string) => status().probes?.find((p) => p.from === from && p.target === target)?.result;
  const inWorker = (...argv: string[]) => lab.execIn("worker", argv);
  const order = (orderId: string, actions: PlannedAction[]) => store.order(orderId, actions);
  const resultsOf = (orderId: string): Array<[string, string]> => store.resultsOf(orderId).map((r) => [r.action, r.result]);

  beforeAll(async () => {
    before = await machineState();
    lab = await startLab({ ipForward: 0, bridgeNfCallIptables: 0 });
    await lab.writeFile("/var/lib/k0s/.netmedic-lab", "");
    ({ agent, store, probe } = await startLabAgent(lab, logger, DIAL_MS));
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it("reports the incident's facts and the pod network timing out while the host network connects", async () => {
    expect(await agent.round()).toBe("changed");
    const { addresses } = lab;
    expect(status().facts).toMatchObject({
      distribution: "k0s",
      sysctl: { ipForward: 0, podInterfaceForwarding: 0, bridgeNfCallIptables: 0, bridgeNfCallIp6tables: 0, bridgeNetfilterLoaded: true },
      podNetwork: { interface: "cni0", cidr: addresses.podCIDR },
      firewall: { manager: "firewalld", state: "running", defaultZone: "public", egressZone: "public", egressMasquerade: false, podTrafficTrusted: false },
    });
    expect(status().facts?.firewall?.podInterfaceZone).toBeUndefined(); // cni0 in no zone: the default zone applies
    expect(status().facts?.errors).toBeUndefined();
    expect(probeResult("Host", `${addresses.control}:8132`)).toBe("ok");
    expect(probeResult("Host", `${addresses.control}:6443`)).toBe("ok");
    expect(probeResult("Pod", `${addresses.control}:8132`)).toBe("ETIMEDOUT");
    // The probe pod really dialed: its log names the target, and the lab's own dial agrees.
    expect(probe.log()).toContain(`"target":"${addresses.control}:8132","result":"ETIMEDOUT"`);
    expect((await lab.tcpConnect("pod", addresses.control, 8132, DIAL_MS)).result).toBe("ETIMEDOUT");
  }, 60_000);

  it("with forwarding on but firewalld's default config, the pod's dial is EHOSTUNREACH (the seed symptom)", async () => {
    expect((await inWorker("sysctl", "-w", "net.ipv4.ip_forward=1")).code).toBe(0);
    await agent.round();
    expect(status().facts?.sysctl?.ipForward).toBe(1);
    const pod = status().probes?.find((p) => p.from === "Pod" && p.purpose === "Konnectivity");
    expect(pod?.result).toBe("EHOSTUNREACH");
    expect(pod?.latencyMs).toBeLessThan(1000);
    expect((await inWorker("sysctl", "-w", "net.ipv4.ip_forward=0")).code).toBe(0);
  }, 60_000);

  it("executes an approved order in the safe order, verifies it, and the pod reaches konnectivity", async () => {
    const { podCIDR, control } = lab.addresses;
    order("lab-o1", [
      { action: "EnableBridgeNetfilter" }, { action: "EnableIPForwarding", podInterface: "cni0" },
      { action: "OpenHostFirewall", podInterface: "cni0", podCIDR, egressZone: "public", service: "k0s-worker" },
    ]);
    await agent.round();
    expect(resultsOf("lab-o1")).toEqual([["OpenHostFirewall", "Succeeded"], ["EnableIPForwarding", "Succeeded"], ["EnableBridgeNetfilter", "Succeeded"]]);
    expect(status().facts).toMatchObject({
      sysctl: { ipForward: 1, podInterfaceForwarding: 1, bridgeNfCallIptables: 1, bridgeNfCallIp6tables: 1 },
      firewall: { podInterfaceZone: "trusted", podTrafficTrusted: true, egressZone: "public", egressMasquerade: true, trustedSources: [podCIDR] },
    });
    expect(probeResult("Pod", `${control}:8132`)).toBe("ok");
    expect((await lab.tcpConnect("pod", control, 8132, DIAL_MS)).result).toBe("ok");
    const detail = status().agent?.results?.find((r) => r.action === "OpenHostFirewall")?.detail ?? "";
    expect(detail).toContain("created service k0s-worker");
    expect(detail).toContain("masquerade on zone public");
  }, 90_000);

  it("persisted everything in the lab's scratch layers: sysctl.d, modules-load.d, firewalld zones and the k0s-worker service", async () => {
    expect(readFileSync(lab.scratchPathOf("/etc/sysctl.d/90-netmedic.conf"), "utf8"))
      .toMatch(/net\.ipv4\.ip_forward = 1\nnet\.bridge\.bridge-nf-call-iptables = 1\nnet\.bridge\.bridge-nf-call-ip6tables = 1\n$/);
    expect(readFileSync(lab.scratchPathOf("/etc/modules-load.d/netmedic.conf"), "utf8")).toContain("br_netfilter\n");
    const trusted = readFileSync(lab.scratchPathOf("/etc/firewalld/zones/trusted.xml"), "utf8");
    expect(trusted).toContain('<interface name="cni0"/>');
    expect(trusted).toContain(`<source address="${lab.addresses.podCIDR}"/>`);
    const publicZone = readFileSync(lab.scratchPathOf("/etc/firewalld/zones/public.xml"), "utf8");
    expect(publicZone).toContain("<masquerade/>");
    expect(publicZone).toContain('<service name="k0s-worker"/>');
    const service = readFileSync(lab.scratchPathOf("/etc/firewalld/services/k0s-worker.xml"), "utf8");
    for (const port of ['port="179" protocol="tcp"', 'port="4789" protocol="udp"', 'port="10250" protocol="tcp"']) expect(service).toContain(port);
    // A reload drops runtime-only changes: the pod still gets through, so the permanent config holds.
    expect((await inWorker("firewall-cmd", "--reload")).code).toBe(0);
    expect((await lab.tcpConnect("pod", lab.addresses.control, 8132, DIAL_MS)).result).toBe("ok");
  }, 60_000);

  it("never executes an order twice, and a repeated order finds everything in place (Skipped)", async () => {
    await agent.round();
    expect(resultsOf("lab-o1")).toHaveLength(3);
    expect(lines.filter((l) => l.includes('"msg":"order received"'))).toHaveLength(1);
    order("lab-o2", [{ action: "OpenHostFirewall", podInterface: "cni0", podCIDR: lab.addresses.podCIDR, egressZone: "public", service: "k0s-worker" },
      { action: "EnableIPForwarding" }, { action: "EnableBridgeNetfilter" }]);
    await agent.round();
    expect(resultsOf("lab-o2")).toEqual([["OpenHostFirewall", "Skipped"], ["EnableIPForwarding", "Skipped"], ["EnableBridgeNetfilter", "Skipped"]]);
  }, 90_000);

  it("each action's revert restores the broken state (tests only; the product never reverts by itself)", async () => {
    for (const action of ["EnableBridgeNetfilter", "EnableIPForwarding", "OpenHostFirewall"]) await agent.outcomes.get(`lab-o1/${action}`)?.revert?.();
    expect(await lab.readSysctl("net.bridge.bridge-nf-call-iptables")).toBe("0");
    expect(existsSync(lab.scratchPathOf("/etc/sysctl.d/90-netmedic.conf"))).toBe(false);
    expect(existsSync(lab.scratchPathOf("/etc/modules-load.d/netmedic.conf"))).toBe(false);
    expect((await inWorker("firewall-cmd", "--get-zone-of-interface=cni0")).stderr.trim()).toBe("no zone");
    expect((await inWorker("firewall-cmd", "--permanent", "--info-service=k0s-worker")).code).not.toBe(0);
    await agent.round();
    expect(status().facts?.firewall).toMatchObject({ podTrafficTrusted: false, egressMasquerade: false });
    expect(probeResult("Pod", `${lab.addresses.control}:8132`)).not.toBe("ok");
  }, 90_000);

  it("this machine's own network, firewall and files never changed", async () => {
    expect(await machineState()).toEqual(before);
  });
});
