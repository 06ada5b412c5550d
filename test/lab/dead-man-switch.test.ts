// The dead-man switch on the lab worker's real firewalld (issue 20 part 2), with the checkpoint in a
// temp dir standing for /var/lib/netmedic and a TLS apiserver stand-in on the lab's control host:
// (c) a good fix is confirmed from the worker's netns and stays, nothing left armed; (a) a fix that
// cuts the worker off the apiserver (an nft drop in the worker's netns, bound to the agent's
// masquerade change) is rolled back by itself after the deadline and reported; (b) an agent killed
// -9 between two actions of one order leaves a checkpoint the restarted agent rolls back and reports.
// This machine's own firewall, routes, sysctls and /etc stay as they were.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ActionResult, PlannedAction } from "../../src/api/index.js";
import { Agent } from "../../src/agent/agent.js";
import { CheckpointStore } from "../../src/agent/checkpoint/checkpoint-store.js";
import { HostNetworkDialer } from "../../src/agent/host-dialer.js";
import { HostExecutor, type HostCommandOptions, type HostCommandResult } from "../../src/agent/host-executor.js";
import { startLab, type Lab } from "../support/lab/index.js";
import { captureLogger, machineState, MemoryNetworkHealthStore, startTlsServer, tsxNode, waitForOutput } from "./agent-support.js";

const CUT_TABLE = "netmedic_lab_cut";

describe("dead-man switch on the lab worker (real firewalld, real netns)", () => {
  let lab: Lab;
  let before: Record<string, unknown>;
  let apiserver: ChildProcess;
  let stateDir: string;
  let endpoint: string;
  const fw = async (...argv: string[]) => lab.execIn("worker", ["firewall-cmd", ...argv]);
  const listings = async () => [(await fw("--list-all-zones")).stdout, (await fw("--permanent", "--list-all-zones")).stdout];
  const firewall = (): PlannedAction => ({ action: "OpenHostFirewall", podInterface: "cni0", podCIDR: lab.addresses.podCIDR, egressZone: "public" });
  const agentWith = (host: HostExecutor, store: MemoryNetworkHealthStore, confirmTimeoutMs: number) => new Agent(
    { nodeName: lab.hostname, intervalMs: 1000, heartbeatMs: 30_000, probeTimeoutMs: 1000, podNetwork: {}, version: "test", deadMan: { stateDir, confirmTimeoutMs } },
    { store, host, dialer: new HostNetworkDialer(host), logger: captureLogger().logger },
  );
  const storeWith = (orderId: string, actions: PlannedAction[], results: ActionResult[] = []) => {
    const store = new MemoryNetworkHealthStore(lab.hostname, { apiServers: [endpoint] });
    store.setControllerFields({ remediation: { phase: "Pending", orderId, actions } });
    if (results.length) store.object!.status = { ...store.object!.status, agent: { results } };
    return store;
  };
  const results = (store: MemoryNetworkHealthStore, orderId: string) => (store.object?.status?.agent?.results ?? []).filter((r) => r.orderId === orderId);

  beforeAll(async () => {
    before = await machineState();
    lab = await startLab({ controlPorts: [8132] });
    endpoint = `${lab.addresses.control}:6443`;
    apiserver = await startTlsServer(lab, "control", lab.addresses.control, 6443, 200, JSON.stringify({ major: "1", minor: "28", gitVersion: "v1.28.15" }));
    stateDir = mkdtempSync(join(tmpdir(), "netmedic-state-"));
  }, 120_000);

  afterAll(async () => {
    apiserver?.kill("SIGKILL");
    await lab?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it("(c) a good fix: confirmed from the worker (the apiserver answers), stays, and leaves nothing armed", async () => {
    const store = storeWith("good-1", [firewall()]);
    const agent = agentWith(new HostExecutor(lab.workerPid), store, 20_000);
    await agent.round();
    expect(results(store, "good-1").map((r) => [r.action, r.result])).toEqual([["OpenHostFirewall", "Succeeded"]]);
    expect((await fw("--get-zone-of-interface=cni0")).stdout.trim()).toBe("trusted");
    expect((await fw("--zone=public", "--query-masquerade")).stdout.trim()).toBe("yes");
    expect(existsSync(new CheckpointStore(stateDir).path)).toBe(false);
    await agent.outcomes.get("good-1/OpenHostFirewall")?.revert?.();
  }, 120_000);

  it("(a) a fix that cuts the worker off the apiserver is rolled back by itself after the deadline, and reported", async () => {
    const original = await listings();
    const host = new CuttingExecutor(lab.workerPid, lab);
    const store = storeWith("cut-1", [firewall()]);
    const started = Date.now();
    await agentWith(host, store, 6000).round();
    const elapsed = Date.now() - started;
    expect(host.cuts).toEqual(["cut", "healed"]);
    const [result] = results(store, "cut-1");
    expect([result?.result, result?.reason]).toEqual(["Failed", "RolledBack"]);
    expect(result?.detail).toMatch(new RegExp(`^RolledBack: the node did not reach the API server within 6s of the change \\(${endpoint.replaceAll(".", "\\.")} ETIMEDOUT\\); undid .*masquerade on zone public \\(runtime\\)`));
    expect(result?.detail).not.toMatch(/INCOMPLETE/);
    expect(await listings()).toEqual(original);
    expect((await lab.execIn("worker", ["nft", "list", "tables"])).stdout).not.toContain(CUT_TABLE);
    expect((await lab.tcpConnect("worker", lab.addresses.control, 6443, 3000)).result).toBe("ok");
    expect(existsSync(new CheckpointStore(stateDir).path)).toBe(false);
    expect(elapsed).toBeLessThan(60_000);
  }, 120_000);

  it("(b) killed -9 between two actions of one order: the restarted agent rolls the first back at start and reports it; the order stops", async () => {
    const original = await listings();
    const forwarding = await lab.readSysctl("net.ipv4.ip_forward"); // firewalld's masquerade set it earlier: it stays whatever it is
    const order = { phase: "Pending", orderId: "kill-1", actions: [firewall(), { action: "EnableIPForwarding", podInterface: "cni0" }] };
    const script = fileURLToPath(new URL("./killable-agent.ts", import.meta.url));
    const [node, ...flags] = tsxNode();
    const child = spawn(node as string, [...flags, script, String(lab.workerPid), stateDir, lab.hostname, JSON.stringify(order)], { stdio: ["ignore", "pipe", "inherit"] });
    const out = await waitForOutput(child, "PAUSED", 90_000);
    const published = JSON.parse(/PAUSED (.*)\n/.exec(out)?.[1] ?? "[]") as ActionResult[];
    expect(published.map((r) => [r.action, r.result])).toEqual([["OpenHostFirewall", "Succeeded"]]);
    const armed = new CheckpointStore(stateDir).read();
    expect(armed.kind === "armed" && armed.checkpoint.actions.map((a) => [a.action, a.changes.length])).toEqual([["OpenHostFirewall", 6]]);
    const exited = new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    process.kill(child.pid as number, "SIGKILL");
    expect(await exited).toBe("SIGKILL");
    expect((await fw("--zone=public", "--query-masquerade")).stdout.trim()).toBe("yes"); // half-applied, as the crash left it

    const store = storeWith("kill-1", order.actions as PlannedAction[], published);
    await agentWith(new HostExecutor(lab.workerPid), store, 20_000).round();
    const [result, ...others] = results(store, "kill-1");
    expect(others).toEqual([]);
    expect(result?.action).toBe("OpenHostFirewall");
    expect([result?.result, result?.reason]).toEqual(["Failed", "RolledBack"]);
    expect(result?.detail).toMatch(/^RolledBack: the agent stopped before confirming order kill-1 \(armed .*\); undid /);
    // Both scopes' changes run two at a time, so the journal (undone last first) is in the order they landed.
    for (const undone of ["interface cni0 in zone trusted (runtime)", "masquerade on zone public (runtime)"]) expect(result?.detail).toContain(undone);
    expect(await listings()).toEqual(original);
    // EnableIPForwarding never ran, neither before the kill nor after the restart.
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe(forwarding);
    expect((await lab.execIn("worker", ["test", "-e", "/etc/sysctl.d/90-netmedic.conf"])).code).toBe(1);
    expect(existsSync(new CheckpointStore(stateDir).path)).toBe(false);
  }, 180_000);

  it("this machine's own firewall, routes, sysctls and /etc never changed", async () => {
    expect(await machineState()).toEqual(before);
  });
});

/**
 * The worker's executor with a fix that cuts the node off: when the agent turns on masquerade in
 * the runtime, an nft table in the worker's netns drops its packets to the apiserver port; the
 * agent's own undo of that change removes it — the cut is the change's, so the rollback heals it.
 */
class CuttingExecutor extends HostExecutor {
  readonly cuts: string[] = [];
  constructor(pid: number, private readonly lab: Lab) {
    super(pid);
  }

  override async run(argv: readonly string[], options?: HostCommandOptions): Promise<HostCommandResult> {
    const result = await super.run(argv, options);
    const call = argv.join(" ");
    if (result.code === 0 && call === "firewall-cmd --zone=public --add-masquerade") await this.nft("cut", [`add table inet ${CUT_TABLE}`, `add chain inet ${CUT_TABLE} out { type filter hook output priority 0 ; }`, `add rule inet ${CUT_TABLE} out ip daddr ${this.lab.addresses.control} tcp dport 6443 drop`]);
    if (call === "firewall-cmd --zone=public --remove-masquerade") await this.nft("healed", [`delete table inet ${CUT_TABLE}`]);
    return result;
  }

  private async nft(what: string, commands: string[]): Promise<void> {
    for (const command of commands) {
      const done = await this.lab.execIn("worker", ["nft", command]);
      if (done.code !== 0) throw new Error(`lab: nft ${command}: ${done.stderr}`);
    }
    this.cuts.push(what);
  }
}
