// LoosenReversePathFilter under the remediation policy: the same gates as every action (mode per
// cluster, node and action; maxConcurrent; cooldown; max attempts), not paused by the breaker (it
// writes sysctls, restarts nothing), and an order confirmed only by fresh facts showing
// ReversePathFilter True.
import { describe, expect, it } from "@jest/globals";
import type { HostFacts, NetworkHealthStatus, RemediationStatus, ReversePathFilterFacts } from "../../../src/api/index.js";
import { DEFAULT_POLICY, reconcileNode, type NodeReconcileResult, type RemediationPolicy } from "../../../src/core/index.js";
import { health, healthyFacts, node, observe, probe } from "../../fixtures/cluster.js";

const W = "agent-1";
const STRICT: ReversePathFilterFacts = { all: 0, default: 1, links: [{ name: "cni0", value: 1 }], linkCount: 1, dropped: true };
const LOOSE: ReversePathFilterFacts = { all: 0, default: 2, links: [{ name: "cni0", value: 2 }], linkCount: 1, dropped: true };
const facts = (rpFilter: ReversePathFilterFacts, collectedAt = "2025-05-05T16:49:50Z"): HostFacts =>
  healthyFacts({ collectedAt, distribution: "k3s", podNetwork: { interface: "cni0", cidr: "10.42.1.0/24" }, rpFilter });
const broken = (extra: NetworkHealthStatus = {}): NetworkHealthStatus => ({ facts: facts(STRICT), probes: [probe("Pod", "APIServer", "ok", "192.168.1.41:6443")], ...extra });
const pending = (extra: Partial<RemediationStatus> = {}): RemediationStatus => ({
  phase: "Pending", mode: "Auto", orderId: "agent-1-1", attempts: 1, lastAttemptTime: "2025-05-05T16:49:30Z",
  actions: [{ action: "LoosenReversePathFilter", links: ["cni0"] }], ...extra,
});

function run(statuses: Record<string, NetworkHealthStatus>, overrides: Partial<RemediationPolicy> = {}, annotations?: Record<string, string>): NodeReconcileResult {
  const names = Object.keys(statuses);
  const observation = observe({
    nodes: names.map((name, i) => node(name, `192.168.1.${42 + i}`, { annotations: name === W ? annotations : undefined })),
    healths: names.map((name) => health(name, statuses[name])),
  });
  return reconcileNode({ observation, node: W, policy: { ...DEFAULT_POLICY, ...overrides } });
}

describe("LoosenReversePathFilter under the remediation policy", () => {
  it("default policy: ordered with the strict links", () => {
    expect(run({ [W]: broken() }).status.remediation).toMatchObject({
      phase: "Pending", actions: [{ action: "LoosenReversePathFilter", reason: "StrictOnPodLinks", links: ["cni0"] }],
    });
  });

  it.each([
    ["the action in Observe", { actions: { LoosenReversePathFilter: "Observe" as const } }, undefined, /^Observe mode \(cluster default\): would run LoosenReversePathFilter\(links=cni0\)$/],
    ["the action Disabled", { actions: { LoosenReversePathFilter: "Disabled" as const } }, undefined, /^remediation disabled \(cluster default\); needed: LoosenReversePathFilter$/],
    ["the node opted out", {}, { "netmedic.io/remediation": "disabled" }, /^remediation disabled \(node annotation/],
  ])("off unless the policy allows it: %s", (_name, overrides, annotations, message) => {
    const remediation = run({ [W]: broken() }, overrides, annotations).status.remediation;
    expect(remediation?.phase).toBe("Idle");
    expect(remediation?.actions ?? []).toEqual([]);
    expect(remediation?.message).toMatch(message);
  });

  it("maxConcurrent, cooldown and maxAttempts hold it back like any action", () => {
    const busy = run({ [W]: broken(), "agent-2": broken({ remediation: pending({ orderId: "agent-2-1" }) }) });
    expect(busy.status.remediation).toMatchObject({ phase: "Blocked", message: "waiting: 1 node(s) already remediating (maxConcurrent=1)" });
    const failedRecently = { phase: "Failed", attempts: 1, lastAttemptTime: "2025-05-05T16:48:00Z" } as const;
    expect(run({ [W]: broken({ remediation: failedRecently }) }).status.remediation?.message).toMatch(/^cooldown: next attempt in \d+s/);
    const exhausted = { phase: "Failed", attempts: 3, lastAttemptTime: "2025-05-05T16:00:00Z" } as const;
    expect(run({ [W]: broken({ remediation: exhausted }) }).status.remediation?.message).toMatch(/^gave up after 3 orders \(maxAttempts=3\) for LoosenReversePathFilter/);
  });

  it("the breaker does not pause it: it restarts nothing (not in DISRUPTIVE_ACTIONS)", () => {
    const result = run({ [W]: broken() }, { breaker: { maxFailedNodes: 0, windowSeconds: 900 } });
    expect(result.status.remediation).toMatchObject({ phase: "Pending", actions: [expect.objectContaining({ action: "LoosenReversePathFilter" })] });
  });

  it("confirmed only by facts collected after the result that show nothing strict", () => {
    const result = { orderId: "agent-1-1", action: "LoosenReversePathFilter" as const, result: "Succeeded" as const, time: "2025-05-05T16:49:40Z", detail: "loosened" };
    const stillOld = run({ [W]: { ...broken({ remediation: pending() }), agent: { heartbeatTime: "2025-05-05T16:49:58Z", results: [result] } } });
    expect(stillOld.status.remediation).toMatchObject({ phase: "Applying" });
    const healed: NetworkHealthStatus = {
      facts: facts(LOOSE, "2025-05-05T16:49:58Z"), probes: [probe("Pod", "APIServer", "ok", "192.168.1.41:6443")],
      remediation: pending(), agent: { heartbeatTime: "2025-05-05T16:49:58Z", results: [result] },
    };
    const confirmed = run({ [W]: healed });
    expect(confirmed.status.remediation).toMatchObject({ phase: "Succeeded", message: "LoosenReversePathFilter applied and confirmed by fresh facts" });
    expect(confirmed.status.conditions?.find((c) => c.type === "ReversePathFilter")).toMatchObject({ status: "True", reason: "NotStrict" });
  });
});
