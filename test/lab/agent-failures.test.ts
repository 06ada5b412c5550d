// What the agent does when the host is not as expected (node lab, real kernel): firewalld stopped
// or absent, a read-only /etc, an injected parameter, a malformed state file. Each is a clear
// Failed (or a facts error), nothing is half-written, and the agent keeps going.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readdirSync } from "node:fs";
import type { PlannedAction } from "../../src/api/index.js";
import { Agent } from "../../src/agent/agent.js";
import { HostNetworkDialer } from "../../src/agent/host-dialer.js";
import { HostExecutor } from "../../src/agent/host-executor.js";
import { K3S_PATHS, startLab, type Lab } from "../support/lab/index.js";
import { captureLogger, machineState, MemoryNetworkHealthStore } from "./agent-support.js";

describe("agent on a lab worker whose host is not as expected", () => {
  let lab: Lab;
  let agent: Agent;
  let store: MemoryNetworkHealthStore;
  let before: Record<string, unknown>;
  const { logger } = captureLogger();
  const status = () => store.object?.status ?? {};
  const results = (orderId: string) => (status().agent?.results ?? []).filter((r) => r.orderId === orderId).map((r) => [r.action, r.result, r.detail]);
  const order = (orderId: string, actions: PlannedAction[]) => store.setControllerFields({ remediation: { phase: "Pending", orderId, actions } });
  const inWorker = (...argv: string[]) => lab.execIn("worker", argv);

  beforeAll(async () => {
    before = await machineState();
    lab = await startLab({ firewalld: false, ipForward: 0, bridgeNfCallIptables: 0 });
    store = new MemoryNetworkHealthStore(lab.hostname, { konnectivity: [`${lab.addresses.control}:8132`] });
    const host = new HostExecutor(lab.workerPid);
    agent = new Agent(
      { nodeName: lab.hostname, intervalMs: 1000, heartbeatMs: 30_000, probeTimeoutMs: 1000, podNetwork: {}, version: "test" },
      { store, host, dialer: new HostNetworkDialer(host), logger },
    );
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it("firewalld stopped: reported as notRunning; OpenHostFirewall is a clear Failed and the order stops there", async () => {
    await agent.round();
    expect(status().facts?.firewall).toEqual({ manager: "firewalld", state: "notRunning" });
    order("fw-stopped", [{ action: "EnableBridgeNetfilter" }, { action: "OpenHostFirewall", podInterface: "cni0" }]);
    await agent.round();
    expect(results("fw-stopped")).toEqual([["OpenHostFirewall", "Failed", "firewalld is not running: netmedic never starts or stops it"]]);
    expect(await lab.readSysctl("net.bridge.bridge-nf-call-iptables")).toBe("0");
    expect((await lab.systemctlLog()).filter((c) => c.units.includes("firewalld"))).toEqual([]);
  }, 60_000);

  it("an injected parameter is refused before anything runs", async () => {
    order("inject", [{ action: "EnableIPForwarding", podInterface: "cni0; rm -rf /" }]);
    await agent.round();
    expect(results("inject")).toEqual([["EnableIPForwarding", "Failed", 'invalid interface name "cni0; rm -rf /"']]);
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe("0");
  }, 60_000);

  it("a read-only /etc/sysctl.d: Failed before the runtime value changes, no temp file left", async () => {
    for (const argv of [["mount", "--bind", "/etc/sysctl.d", "/etc/sysctl.d"], ["mount", "-o", "remount,ro,bind", "/etc/sysctl.d"]]) {
      expect((await inWorker(...argv)).code).toBe(0);
    }
    order("read-only", [{ action: "EnableIPForwarding" }]);
    await agent.round();
    const [[, result, detail] = []] = results("read-only");
    expect(result).toBe("Failed");
    expect(detail).toMatch(/Read-only file system/);
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe("0");
    expect((await inWorker("stat", "/etc/sysctl.d/90-netmedic.conf.netmedic-tmp")).code).not.toBe(0);
    expect((await inWorker("umount", "/etc/sysctl.d")).code).toBe(0);
  }, 60_000);

  it("firewall-cmd absent: manager none / notInstalled, and OpenHostFirewall says so", async () => {
    expect((await inWorker("rm", "-f", "/usr/bin/firewall-cmd")).code).toBe(0); // a whiteout in the lab's /usr/bin overlay
    await agent.round();
    expect(status().facts?.firewall).toEqual({ manager: "none", state: "notInstalled" });
    order("fw-absent", [{ action: "OpenHostFirewall", podInterface: "cni0" }]);
    await agent.round();
    expect(results("fw-absent")).toEqual([["OpenHostFirewall", "Failed", "firewalld is not installed (no firewall-cmd): nothing to open"]]);
    expect(existsSync("/usr/bin/firewall-cmd")).toBe(true);
  }, 60_000);

  it("a malformed load-balancer state file becomes a facts error; the rest is still reported", async () => {
    await lab.writeK3sHostRoot({ server: `https://${lab.addresses.control}:6443`, token: "K10abc::server:x" });
    await lab.writeFile(K3S_PATHS.loadBalancer, "{ this is not json", 0o600);
    expect(await agent.round()).toBe("changed");
    expect(status().facts?.errors).toEqual([`${K3S_PATHS.loadBalancer}: load-balancer state is not JSON`]);
    expect(status().facts?.apiServer?.configured).toEqual([`https://${lab.addresses.control}:6443`]);
    expect(status().facts?.sysctl?.ipForward).toBe(0);
  }, 60_000);

  it("left no temp files behind and never touched this machine", async () => {
    const sysctlDir = lab.scratchPathOf("/etc/sysctl.d");
    expect(existsSync(sysctlDir) ? readdirSync(sysctlDir).filter((f) => f.includes("netmedic")) : []).toEqual([]);
    expect(await machineState()).toEqual(before);
  });
});
