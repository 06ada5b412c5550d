// OpenUfw under the remediation policy: the same gates as every action (mode per cluster, node and
// action; maxConcurrent; cooldown; max attempts), not paused by the breaker (it restarts nothing),
// and an order confirmed only by fresh facts showing HostFirewall True.
import { describe, expect, it } from "@jest/globals";
import type { HostFacts, NetworkHealthStatus, RemediationStatus, UfwFacts } from "../../../src/api/index.js";
import { DEFAULT_POLICY, reconcileNode, type NodeReconcileResult, type RemediationPolicy } from "../../../src/core/index.js";
import { health, healthyFacts, node, observe, probe } from "../../fixtures/cluster.js";
import { policyGateTests } from "./policy-gates.js";

const W = "agent-1";
const POD = "10.42.1.0/24";
const UFW: UfwFacts = { state: "active", enabledAtBoot: true, defaultInputPolicy: "DROP", defaultForwardPolicy: "DROP", rules: [] };
const OPEN = [`route:allow any any 0.0.0.0/0 any ${POD} in`, `route:allow any any ${POD} any 0.0.0.0/0 in`, `allow any any 0.0.0.0/0 any ${POD} in`,
  "allow udp 8472 0.0.0.0/0 any 0.0.0.0/0 in", "allow tcp 10250 0.0.0.0/0 any 0.0.0.0/0 in"];
const facts = (ufw: UfwFacts, collectedAt = "2025-05-05T16:49:50Z"): HostFacts =>
  healthyFacts({ collectedAt, distribution: "k3s", podNetwork: { interface: "cni0", cidr: POD }, firewall: { manager: "none", state: "notInstalled" }, ufw });
const broken = (extra: NetworkHealthStatus = {}): NetworkHealthStatus => ({ facts: facts(UFW), probes: [probe("Pod", "APIServer", "ETIMEDOUT", "192.168.1.41:6443")], ...extra });
const pending = (extra: Partial<RemediationStatus> = {}): RemediationStatus => ({
  phase: "Pending", mode: "Auto", orderId: "agent-1-1", attempts: 1, lastAttemptTime: "2025-05-05T16:49:30Z",
  actions: [{ action: "OpenUfw", podCIDR: POD, ports: ["8472/udp", "10250/tcp"] }], ...extra,
});

function run(statuses: Record<string, NetworkHealthStatus>, overrides: Partial<RemediationPolicy> = {}, annotations?: Record<string, string>): NodeReconcileResult {
  const names = Object.keys(statuses);
  const observation = observe({
    nodes: names.map((name, i) => node(name, `192.168.1.${42 + i}`, { annotations: name === W ? annotations : undefined })),
    healths: names.map((name) => health(name, statuses[name])),
  });
  return reconcileNode({ observation, node: W, policy: { ...DEFAULT_POLICY, ...overrides } });
}

describe("OpenUfw under the remediation policy", () => {
  it("default policy: ordered with the pod CIDR and k3s' node ports", () => {
    expect(run({ [W]: broken() }).status.remediation).toMatchObject({
      phase: "Pending", actions: [{ action: "OpenUfw", reason: "UfwBlockingPodTraffic", podCIDR: POD, ports: ["8472/udp", "10250/tcp"] }],
    });
  });

  policyGateTests("OpenUfw", /OpenUfw\(podCIDR=10\.42\.1\.0\/24, ports=8472\/udp,10250\/tcp\)/, { node: W, run, broken, pending });

  it("confirmed only by facts collected after the result that show ufw allowing pod traffic", () => {
    const result = { orderId: "agent-1-1", action: "OpenUfw" as const, result: "Succeeded" as const, time: "2025-05-05T16:49:40Z", detail: "added" };
    const stillOld = run({ [W]: { ...broken({ remediation: pending() }), agent: { heartbeatTime: "2025-05-05T16:49:58Z", results: [result] } } });
    expect(stillOld.status.remediation).toMatchObject({ phase: "Applying" });
    const healed: NetworkHealthStatus = {
      facts: facts({ ...UFW, rules: OPEN }, "2025-05-05T16:49:58Z"), probes: [probe("Pod", "APIServer", "ok", "192.168.1.41:6443")],
      remediation: pending(), agent: { heartbeatTime: "2025-05-05T16:49:58Z", results: [result] },
    };
    const confirmed = run({ [W]: healed });
    expect(confirmed.status.remediation).toMatchObject({ phase: "Succeeded", message: "OpenUfw applied and confirmed by fresh facts" });
    expect(confirmed.status.conditions?.find((c) => c.type === "HostFirewall")).toMatchObject({ status: "True", reason: "Allowing" });
  });
});
