// LoosenReversePathFilter under the remediation policy: the same gates as every action (mode per
// cluster, node and action; maxConcurrent; cooldown; max attempts), not paused by the breaker (it
// writes sysctls, restarts nothing), and an order confirmed only by fresh facts showing
// ReversePathFilter True.
import { describe, expect, it } from "@jest/globals";
import type { HostFacts, NetworkHealthStatus, RemediationStatus, ReversePathFilterFacts } from "../../../src/api/index.js";
import { DEFAULT_POLICY, reconcileNode, type NodeReconcileResult, type RemediationPolicy } from "../../../src/core/index.js";
import { health, healthyFacts, node, observe, probe } from "../../fixtures/cluster.js";
import { policyGateTests } from "./policy-gates.js";

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

  policyGateTests("LoosenReversePathFilter", /LoosenReversePathFilter\(links=cni0\)/, { node: W, run, broken, pending });

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
