// Orders (what is due, never twice), results (≤ 20), report gating (changes ignoring timestamps,
// bounded heartbeat), backoff, the action journal and flag parsing.
import { describe, expect, it } from "@jest/globals";
import type { ActionResult, RemediationStatus } from "../../../src/api/index.js";
import { appendResult, dueOrder, MAX_RESULTS } from "../../../src/agent/orders.js";
import { agentStatus, ReportGate, reportFingerprint, type AgentReport } from "../../../src/agent/report.js";
import { Backoff } from "../../../src/agent/backoff.js";
import { ChangeJournal } from "../../../src/agent/actions/journal.js";
import { runAction } from "../../../src/agent/actions/action.js";
import { parseAgentArgs } from "../../../src/agent/options.js";

const T = "2025-05-05T16:00:00Z";
const order = (phase: RemediationStatus["phase"], actions: string[]): RemediationStatus =>
  ({ phase, orderId: "w1-1", actions: actions.map((action) => ({ action })) }) as RemediationStatus;
const result = (action: string, r: ActionResult["result"], orderId = "w1-1"): ActionResult => ({ orderId, action, result: r, time: T }) as ActionResult;

describe("dueOrder", () => {
  it.each([
    ["no remediation", undefined, [], undefined],
    ["Idle has nothing to run", order("Idle", ["EnableIPForwarding"]), [], undefined],
    ["Pending: sorted into the safe order (firewall before bridge netfilter)", order("Pending", ["EnableBridgeNetfilter", "EnableIPForwarding", "OpenHostFirewall"]), [], ["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"]],
    ["Applying: only actions without a result", order("Applying", ["OpenHostFirewall", "EnableIPForwarding"]), [result("OpenHostFirewall", "Succeeded")], ["EnableIPForwarding"]],
    ["all done: nothing (never twice, also after a restart)", order("Applying", ["EnableIPForwarding"]), [result("EnableIPForwarding", "Skipped")], undefined],
    ["a failure stops the order", order("Applying", ["OpenHostFirewall", "EnableBridgeNetfilter"]), [result("OpenHostFirewall", "Failed")], undefined],
    ["results of another order do not count", order("Pending", ["EnableIPForwarding"]), [result("EnableIPForwarding", "Succeeded", "old")], ["EnableIPForwarding"]],
    ["duplicates run once", order("Pending", ["EnableIPForwarding", "EnableIPForwarding"]), [], ["EnableIPForwarding"]],
    ["Succeeded/Failed phases are not executed", order("Succeeded", ["EnableIPForwarding"]), [], undefined],
  ])("%s", (_name, remediation, results, expected) => {
    expect(dueOrder(remediation, results)?.actions.map((a) => a.action)).toEqual(expected);
  });
  it("keeps at most 20 results, newest last", () => {
    let results: ActionResult[] = [];
    for (let i = 0; i < 25; i++) results = appendResult(results, result("EnableIPForwarding", "Skipped", `o${i}`));
    expect(results).toHaveLength(MAX_RESULTS);
    expect(results[0]?.orderId).toBe("o5");
    expect(results.at(-1)?.orderId).toBe("o24");
  });
});

describe("report gating", () => {
  const report = (ipForward: number, time: string, latencyMs: number): AgentReport => ({
    facts: { collectedAt: time, sysctl: { ipForward } },
    probes: [{ from: "Pod", target: "10.0.0.1:8132", purpose: "Konnectivity", result: "ETIMEDOUT", latencyMs, time }],
    results: [], version: "0.1.0",
  });
  it("timestamps and latencies do not count as changes; values do", () => {
    expect(reportFingerprint(report(0, T, 3001))).toBe(reportFingerprint(report(0, "2025-05-05T16:00:10Z", 2999)));
    expect(reportFingerprint(report(0, T, 1))).not.toBe(reportFingerprint(report(1, T, 1)));
  });
  it("writes on change, then only at the heartbeat", () => {
    const gate = new ReportGate(30_000);
    expect(gate.due(report(0, T, 1), 0)).toBe(true);
    gate.written(report(0, T, 1), 0);
    expect(gate.due(report(0, T, 2), 10_000)).toBe(false);
    expect(gate.due(report(1, T, 2), 10_000)).toBe(true);
    expect(gate.due(report(0, T, 2), 30_000)).toBe(true);
  });
  it("the applied status holds exactly the agent-owned fields", () => {
    expect(Object.keys(agentStatus(report(0, T, 1), T)).sort()).toEqual(["agent", "facts", "probes"]);
  });
  it("the applied status carries no empty strings (SSA turns them into null → 422 on the real apiserver)", () => {
    const facts = { collectedAt: T, firewall: { manager: "firewalld" as const, state: "running" as const, podInterfaceZone: "", services: ["", "ssh"] } };
    const status = agentStatus({ facts, probes: [], results: [], version: "" }, T);
    expect(status.facts?.firewall).toEqual({ manager: "firewalld", state: "running", services: ["ssh"] });
    expect(status.agent).toEqual({ heartbeatTime: T, results: [] });
  });
});

describe("Backoff", () => {
  it("doubles up to the cap with equal jitter, and resets", () => {
    const low = new Backoff(1000, 8000, () => 0);
    expect([low.next(), low.next(), low.next(), low.next(), low.next()]).toEqual([500, 1000, 2000, 4000, 4000]);
    const high = new Backoff(1000, 8000, () => 1);
    expect([high.next(), high.next()]).toEqual([1000, 2000]);
    high.reset();
    expect(high.next()).toBe(1000);
  });
});

describe("actions roll back on failure", () => {
  const context = {} as Parameters<typeof runAction>[2];
  it("a failing action undoes its changes newest first, recordLast undos last", async () => {
    const undone: string[] = [];
    const outcome = await runAction(async (_a, _c, journal: ChangeJournal) => {
      journal.record("a", async () => void undone.push("a"));
      journal.record("b", async () => void undone.push("b"));
      journal.recordLast("restart", async () => void undone.push("restart"));
      throw new Error("boom");
    }, { action: "EnableIPForwarding" }, context);
    expect(outcome.result).toBe("Failed");
    expect(outcome.detail).toBe("unexpected: boom; rolled back 3 change(s)");
    expect(undone).toEqual(["b", "a", "restart"]);
  });
  it("a succeeded action carries a revert over its changes", async () => {
    const undone: string[] = [];
    const outcome = await runAction(async (_a, _c, journal) => {
      journal.record("x", async () => void undone.push("x"));
      return { result: "Succeeded", detail: "done" };
    }, { action: "EnableIPForwarding" }, context);
    await outcome.revert?.();
    expect(undone).toEqual(["x"]);
  });
});

describe("agent flags", () => {
  it("parses the documented flags with defaults", () => {
    expect(parseAgentArgs(["--node-name", "worker-1"])).toEqual({
      nodeName: "worker-1", hostPid: 1, logLevel: "info", kubeconfig: undefined, intervalMs: 10_000, heartbeatMs: 300_000, probeTimeoutMs: 3000,
      probeEndpoint: undefined, podInterface: undefined, podCIDR: undefined, stateDir: "/var/lib/netmedic", confirmTimeoutMs: 120_000,
    });
    const dm = parseAgentArgs(["--node-name", "worker-1", "--state-dir", "/run/netmedic-lab/", "--confirm-timeout", "5s"]);
    expect([dm.stateDir, dm.confirmTimeoutMs]).toEqual(["/run/netmedic-lab", 5000]);
    expect(() => parseAgentArgs(["--node-name", "worker-1", "--state-dir", "var/lib"])).toThrow(/--state-dir: expected an absolute directory path \(got "var\/lib"\)/);
    const o = parseAgentArgs(["--node-name", "w", "--host-pid", "4242", "--interval", "500ms", "--heartbeat", "2m", "--probe-endpoint", "10.244.1.2:9090", "--pod-interface", "cni0", "--pod-cidr", "10.244.1.0/24"]);
    expect([o.hostPid, o.intervalMs, o.heartbeatMs, o.probeEndpoint, o.podInterface, o.podCIDR]).toEqual([4242, 500, 120_000, "10.244.1.2:9090", "cni0", "10.244.1.0/24"]);
  });
  it.each([
    [[], /--node-name is required/],
    [["--node-name", "Bad_Name"], /--node-name: expected the node's name, a DNS subdomain \(got "Bad_Name"\)/],
    [["--node-name", "w", "--host-pid", "0"], /--host-pid: expected an integer from 1 to 4194304 \(got "0"\)/],
    [["--node-name", "w", "--interval", "10"], /--interval: expected a duration such as 10s, 1m30s or 500ms \(got "10"\)/],
    [["--node-name", "w", "--interval", "50ms"], /--interval: expected a duration of at least 100ms \(got "50ms"\)/],
    [["--node-name", "w", "--pod-interface", "cni0; rm -rf /"], /--pod-interface: expected a network interface name \(got "cni0; rm -rf \/"\)/],
    [["--node-name", "w", "--probe-endpoint", "http://x"], /--probe-endpoint: expected IP:PORT \(got "http:\/\/x"\)/],
    [["--node-name", "w", "--log-level", "loud"], /--log-level: expected one of .* \(got "loud"\)/],
    [["--node-name", "w", "--bogus"], /Unknown option '--bogus'/],
    [["--node-name", "w", "stray"], /Unexpected argument 'stray'/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseAgentArgs(argv)).toThrow(message);
  });
  it("accepts --flag=value as well as --flag value, and compound durations", () => {
    const o = parseAgentArgs(["--node-name=w", "--interval=1m30s", "--confirm-timeout", "90s"]);
    expect([o.nodeName, o.intervalMs, o.confirmTimeoutMs]).toEqual(["w", 90_000, 90_000]);
  });
});
