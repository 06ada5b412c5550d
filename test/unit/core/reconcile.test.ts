import { describe, expect, it } from "@jest/globals";
import type { ActionResult, NetworkHealth, NetworkHealthStatus, RemediationStatus } from "../../../src/api/index.js";
import { DEFAULT_POLICY, diagnose, otherRemediations, reconcileNode, type NodeReconcileResult, type Observation, type RemediationPolicy } from "../../../src/core/index.js";
import { health, healthyFacts, k0sBrokenFacts, konnectivityPod, node, observe, probe } from "../../fixtures/cluster.js";

const W = "worker-1";
const policy = (overrides: Partial<RemediationPolicy> = {}): RemediationPolicy => ({ ...DEFAULT_POLICY, ...overrides });
const brokenStatus = (extra: NetworkHealthStatus = {}): NetworkHealthStatus => ({
  facts: k0sBrokenFacts(), probes: [probe("Pod", "Konnectivity", "EHOSTUNREACH"), probe("Host", "Konnectivity", "ok")], ...extra,
});
const healedStatus = (extra: NetworkHealthStatus = {}): NetworkHealthStatus => ({
  facts: { ...healthyFacts(), collectedAt: "2025-05-05T16:49:58Z" }, probes: [probe("Pod", "Konnectivity", "ok"), probe("Host", "Konnectivity", "ok")], ...extra,
});
const order = (extra: Partial<RemediationStatus> = {}): RemediationStatus => ({
  phase: "Pending", mode: "Auto", orderId: "worker-1-1", attempts: 1, lastAttemptTime: "2025-05-05T16:49:30Z",
  actions: [{ action: "OpenHostFirewall" }, { action: "EnableIPForwarding" }, { action: "EnableBridgeNetfilter" }], ...extra,
});
const results = (result: ActionResult["result"], time = "2025-05-05T16:49:40Z"): ActionResult[] =>
  (["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"] as const).map((action) => ({ orderId: "worker-1-1", action, result, time, detail: "done" }));
const withAgent = (status: NetworkHealthStatus, agentResults: ActionResult[]): NetworkHealthStatus =>
  ({ ...status, agent: { heartbeatTime: "2025-05-05T16:49:58Z", results: agentResults } });

function run(statuses: Record<string, NetworkHealthStatus>, options: { policy?: RemediationPolicy; spec?: NetworkHealth["spec"]; annotations?: Record<string, string>; now?: string } = {}): NodeReconcileResult {
  const names = Object.keys(statuses);
  const observation: Observation = observe({
    nodes: names.map((name, i) => node(name, `192.168.1.${42 + i}`, { annotations: name === W ? options.annotations : undefined })),
    pods: names.map(konnectivityPod),
    healths: names.map((name) => heartbeatAt(health(name, statuses[name], name === W ? options.spec : {}), options.now)),
    now: options.now,
  });
  return reconcileNode({ observation, node: W, policy: options.policy ?? policy() });
}

/** An agent that kept reporting until `now` (tests that move the clock would otherwise see a stale agent). */
function heartbeatAt(object: NetworkHealth, now: string | undefined): NetworkHealth {
  if (!now || !object.status?.agent) return object;
  return { ...object, status: { ...object.status, agent: { ...object.status.agent, heartbeatTime: now } } };
}

const condition = (result: NodeReconcileResult, type: string) => result.status.conditions?.find((c) => c.type === type);

describe("reconcileNode: deciding", () => {
  it("Auto: orders the fixes in the safe order and reports Remediating=True/Pending", () => {
    const result = run({ [W]: brokenStatus() });
    expect(result.status.remediation).toMatchObject({ phase: "Pending", mode: "Auto", attempts: 1, lastAttemptTime: "2025-05-05T16:50:00Z", orderId: "worker-1-20250505T165000Z" });
    expect(result.status.remediation?.actions?.map((a) => a.action)).toEqual(["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"]);
    expect(condition(result, "Remediating")).toMatchObject({ status: "True", reason: "Pending" });
    expect(result.events).toEqual(expect.arrayContaining([expect.objectContaining({ type: "Normal", reason: "Pending" })]));
    expect(result.changed).toBe(true);
    expect(result.requeueAfterSeconds).toBe(DEFAULT_POLICY.orderTimeoutSeconds);
  });

  it.each([
    ["Observe by cluster default", { policy: policy({ mode: "Observe" }) }, /^Observe mode \(cluster default\): would run OpenHostFirewall/, 3],
    ["Observe by spec.remediation", { spec: { remediation: "Observe" as const } }, /^Observe mode \(spec.remediation\)/, 3],
    ["Disabled by the node annotation, even with spec Auto", { annotations: { "netmedic.io/remediation": "disabled" }, spec: { remediation: "Auto" as const } }, /^remediation disabled \(node annotation/, 0],
    ["Disabled by spec", { spec: { remediation: "Disabled" as const } }, /^remediation disabled \(spec.remediation\)/, 0],
  ])("%s: runs nothing and says what it would do", (_name, options, message, proposed) => {
    const result = run({ [W]: brokenStatus() }, options);
    expect(result.status.remediation?.phase).toBe("Idle");
    expect(result.status.remediation?.actions).toBeUndefined();
    expect(result.status.remediation?.message).toMatch(message);
    expect(result.status.remediation?.proposed ?? []).toHaveLength(proposed);
  });

  it("a per-action Observe keeps that action out of the order but lists it", () => {
    const result = run({ [W]: brokenStatus() }, { policy: policy({ actions: { OpenHostFirewall: "Observe" } }) });
    expect(result.status.remediation?.actions?.map((a) => a.action)).toEqual(["EnableIPForwarding", "EnableBridgeNetfilter"]);
    expect(result.status.remediation?.proposed?.map((a) => a.action)).toEqual(["OpenHostFirewall"]);
  });

  it("maxConcurrent: waits while another node is remediating", () => {
    const result = run({ [W]: brokenStatus(), "worker-2": brokenStatus({ remediation: order({ orderId: "w2" }) }) });
    expect(result.status.remediation).toMatchObject({ phase: "Blocked", message: "waiting: 1 node(s) already remediating (maxConcurrent=1)" });
    expect(result.requeueAfterSeconds).toBe(10);
    const two = run({ [W]: brokenStatus(), "worker-2": brokenStatus({ remediation: order({ orderId: "w2" }) }) }, { policy: policy({ maxConcurrent: 2 }) });
    expect(two.status.remediation?.phase).toBe("Pending");
  });

  it("maxConcurrent ignores an orphaned NetworkHealth (Node gone) and an order past its timeout", () => {
    const orphan = health("gone-node", brokenStatus({ remediation: order({ orderId: "orphan" }) }));
    const observation = observe({ nodes: [node(W, "192.168.1.42"), node("worker-2", "192.168.1.43")], pods: [konnectivityPod(W)],
      healths: [health(W, brokenStatus()), orphan, health("worker-2", brokenStatus({ remediation: order({ orderId: "stale", lastAttemptTime: "2025-05-05T16:40:00Z" }) }))] });
    expect(reconcileNode({ observation, node: W, policy: policy() }).status.remediation?.phase).toBe("Pending");
  });

  it("maxAttempts: Blocked with a reason once the attempts are spent", () => {
    const result = run({ [W]: brokenStatus({ remediation: { phase: "Failed", attempts: 3, lastAttemptTime: "2025-05-05T15:00:00Z" } }) });
    expect(result.status.remediation?.phase).toBe("Blocked");
    expect(result.status.remediation?.message).toMatch(/gave up after 3 orders \(maxAttempts=3\)/);
    expect(result.events).toEqual(expect.arrayContaining([expect.objectContaining({ type: "Warning", reason: "Blocked" })]));
  });

  it("cooldown: no new order until cooldownSeconds after the last one", () => {
    const failed = { phase: "Failed" as const, attempts: 1, lastAttemptTime: "2025-05-05T16:48:00Z" };
    const waiting = run({ [W]: brokenStatus({ remediation: failed }) });
    expect(waiting.status.remediation).toMatchObject({ phase: "Failed", attempts: 1, message: "cooldown: next attempt in 180s at the earliest" });
    expect(waiting.requeueAfterSeconds).toBe(180);
    const later = run({ [W]: brokenStatus({ remediation: failed }) }, { now: "2025-05-05T16:53:00Z" });
    expect(later.status.remediation).toMatchObject({ phase: "Pending", attempts: 2 });
  });

  it("breaker: stops disruptive re-points when many nodes failed, keeps the rest", () => {
    const failedRecently = () => brokenStatus({ remediation: { phase: "Failed", attempts: 1, lastAttemptTime: "2025-05-05T16:45:00Z" }, agent: { heartbeatTime: "2025-05-05T16:49:50Z" } });
    const k3sBroken: NetworkHealthStatus = {
      facts: healthyFacts({ distribution: "k3s", firewall: { manager: "none", state: "notInstalled" }, apiServer: { configured: ["https://192.168.1.99:6443"] } }),
      probes: [probe("Host", "ConfiguredServer", "ok", "192.168.1.99:6443", "HTTP 503: apiserver disabled")],
    };
    const statuses = { [W]: k3sBroken, a: failedRecently(), b: failedRecently(), c: failedRecently() };
    const blocked = run(statuses);
    expect(blocked.status.remediation?.phase).toBe("Blocked");
    expect(blocked.status.remediation?.message).toMatch(/^circuit breaker open/);
    const open = run(statuses, { policy: policy({ breaker: { maxFailedNodes: 4, windowSeconds: 900 } }) });
    expect(open.status.remediation?.actions?.map((a) => a.action)).toEqual(["RepointAPIServerEndpoint"]);
  });

  it("the breaker never blocks the single-worker k0s story (no disruptive action)", () => {
    const result = run({ [W]: brokenStatus() }, { policy: policy({ breaker: { maxFailedNodes: 0, windowSeconds: 900 } }) });
    expect(result.status.remediation?.phase).toBe("Pending");
  });
});

describe("reconcileNode: following an order", () => {
  it("waits while the agent has not answered", () => {
    const result = run({ [W]: brokenStatus({ remediation: order() }) });
    expect(result.status.remediation?.phase).toBe("Pending");
    expect(result.changed).toBe(true);
  });

  it("Succeeded once results are in and fresh facts confirm; history records each action", () => {
    const result = run({ [W]: withAgent(healedStatus({ remediation: order() }), results("Succeeded")) });
    expect(result.status.remediation).toMatchObject({ phase: "Succeeded", message: "OpenHostFirewall, EnableIPForwarding, EnableBridgeNetfilter applied and confirmed by fresh facts" });
    expect(result.status.history?.map((h) => `${h.action}:${h.result}`)).toEqual(["OpenHostFirewall:Succeeded", "EnableIPForwarding:Succeeded", "EnableBridgeNetfilter:Succeeded"]);
    expect(result.records).toHaveLength(3);
    expect(condition(result, "Ready")).toMatchObject({ status: "True", reason: "Healthy" });
    expect(condition(result, "Remediating")).toMatchObject({ status: "False", reason: "Succeeded" });
  });

  it("Applying while the facts predate the results", () => {
    const stale = healedStatus({ remediation: order() });
    stale.facts = { ...healthyFacts(), collectedAt: "2025-05-05T16:49:35Z" };
    const result = run({ [W]: withAgent(stale, results("Succeeded")) });
    expect(result.status.remediation?.phase).toBe("Applying");
    expect(result.status.remediation?.message).toMatch(/waiting for fresh facts/);
  });

  it("Failed with a Warning when the agent reports a failure", () => {
    const failedResults = results("Succeeded");
    failedResults[0] = { ...failedResults[0]!, result: "Failed", detail: "firewall-cmd: INVALID_ZONE" };
    const result = run({ [W]: withAgent(brokenStatus({ remediation: order() }), failedResults) });
    expect(result.status.remediation).toMatchObject({ phase: "Failed", message: "OpenHostFirewall failed: firewall-cmd: INVALID_ZONE" });
    expect(result.events).toEqual(expect.arrayContaining([expect.objectContaining({ type: "Warning", reason: "Failed" })]));
  });

  it("Failed when the agent never executes the order within the timeout", () => {
    const result = run({ [W]: brokenStatus({ remediation: order({ lastAttemptTime: "2025-05-05T16:40:00Z" }) }) });
    expect(result.status.remediation?.phase).toBe("Failed");
    expect(result.status.history?.every((h) => h.result === "Failed")).toBe(true);
  });

  it("withdraws a pending order when the node is switched to Observe", () => {
    const result = run({ [W]: brokenStatus({ remediation: order() }) }, { spec: { remediation: "Observe" } });
    expect(result.status.remediation).toMatchObject({ phase: "Idle", mode: "Observe" });
    expect(result.status.remediation?.actions).toBeUndefined();
  });

  it("a flapping node: the fault returning within the cooldown does not loop", () => {
    const succeeded = { phase: "Succeeded" as const, attempts: 1, lastAttemptTime: "2025-05-05T16:49:00Z", message: "ok" };
    const result = run({ [W]: brokenStatus({ remediation: succeeded }) });
    expect(result.status.remediation?.phase).toBe("Succeeded");
    expect(result.status.remediation?.message).toMatch(/^cooldown/);
    const exhausted = run({ [W]: brokenStatus({ remediation: { ...succeeded, attempts: 3 } }) }, { now: "2025-05-05T17:30:00Z" });
    expect(exhausted.status.remediation?.phase).toBe("Blocked");
  });

  it("keeps at most 20 history records", () => {
    const history = Array.from({ length: 19 }, (_, i) => ({ time: `2025-05-05T10:${String(i).padStart(2, "0")}:00Z`, action: "EnableIPForwarding", result: "Failed" }));
    const result = run({ [W]: withAgent(healedStatus({ remediation: order(), history }), results("Succeeded")) });
    expect(result.status.history).toHaveLength(20);
    expect(result.status.history?.at(-1)?.action).toBe("EnableBridgeNetfilter");
  });
});

describe("reconcileNode: steady state", () => {
  it("writing the result back yields changed=false and no events on the next pass", () => {
    const first = run({ [W]: healedStatus() });
    expect(first.changed).toBe(true);
    const second = run({ [W]: { ...healedStatus(), ...first.status } }, { now: "2025-05-05T16:50:30Z" });
    expect(second.changed).toBe(false);
    expect(second.events).toEqual([]);
    expect(second.status.conditions).toEqual(first.status.conditions);
  });

  it("a flip moves only that condition's lastTransitionTime and emits one transition event", () => {
    const first = run({ [W]: healedStatus() });
    const broken = { ...brokenStatus(), ...first.status, facts: k0sBrokenFacts(), probes: brokenStatus().probes };
    const second = run({ [W]: broken }, { now: "2025-05-05T16:51:00Z", policy: policy({ mode: "Observe" }) });
    expect(condition(second, "IPForwarding")?.lastTransitionTime).toBe("2025-05-05T16:51:00Z");
    expect(condition(second, "AgentReporting")?.lastTransitionTime).toBe(condition(first, "AgentReporting")?.lastTransitionTime);
    expect(second.events.map((e) => `${e.type}:${e.reason}`)).toEqual(expect.arrayContaining(["Warning:Disabled", "Warning:RejectingPodTraffic", "Warning:Degraded"]));
  });
});

describe("a node whose agent has not reported yet", () => {
  const created = (secondsAgo: number): NetworkHealth => ({
    apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth",
    metadata: { name: W, generation: 1, creationTimestamp: new Date(Date.parse("2025-05-05T16:50:00Z") - secondsAgo * 1000).toISOString() },
  });
  const decide = (object: NetworkHealth) => reconcileNode({
    observation: observe({ nodes: [node(W, "192.168.1.42")], pods: [konnectivityPod(W)], healths: [object] }), node: W, policy: policy({ staleAfterSeconds: 120 }),
  });

  it.each([
    { age: -2, expected: "Unknown/AwaitingFirstReport", ready: "Unknown", written: false, requeue: 30 },
    { age: 10, expected: "Unknown/AwaitingFirstReport", ready: "Unknown", written: false, requeue: 20 },
    { age: 29, expected: "Unknown/AwaitingFirstReport", ready: "Unknown", written: false, requeue: 1 },
    { age: 30, expected: "Unknown/AwaitingFirstReport", ready: "Unknown", written: true, requeue: 90 },
    { age: 119, expected: "Unknown/AwaitingFirstReport", ready: "Unknown", written: true, requeue: 1 },
    { age: 120, expected: "False/NotRunning", ready: "False", written: true, requeue: 300 },
  ])("created $age s ago (staleAfterSeconds 120): AgentReporting $expected, Ready $ready, status written: $written, looked at again after $requeue s", ({ age, expected, ready, written, requeue }) => {
    const result = decide(created(age));
    const agent = condition(result, "AgentReporting");
    expect(`${agent?.status}/${agent?.reason}`).toBe(expected);
    expect(condition(result, "Ready")?.status).toBe(ready);
    expect(result.changed).toBe(written);
    expect(result.requeueAfterSeconds).toBe(requeue);
    expect(result.events).toEqual([]);
  });

  it.each([
    ["the agent has reported", { agent: { heartbeatTime: "2025-05-05T16:49:58Z" } }],
    ["the controller already wrote a status", { conditions: [{ type: "Ready", status: "Unknown", reason: "Unknown", message: "", lastTransitionTime: "2025-05-05T16:49:55Z" }] }],
  ])("the first status is held only while nothing is known: not once %s", (_name, status) => {
    const result = decide({ ...created(10), status } as NetworkHealth);
    expect(result.changed).toBe(true);
  });

  it("a held first status still hands the agent its targets (the object's annotation)", () => {
    const result = decide(created(10));
    expect(result.changed).toBe(false);
    expect(result.targets.konnectivity).toEqual(["192.168.1.41:8132"]);
  });

  it("its first report turns Unknown conditions True without Events; a recovery (False → True) still gets one", () => {
    const waiting = decide(created(10));
    const reported: NetworkHealth = { ...created(10), status: { ...waiting.status, ...healedStatus(), agent: { heartbeatTime: "2025-05-05T16:49:58Z" } } };
    const first = decide(reported);
    expect(condition(first, "Ready")?.status).toBe("True");
    expect(first.events.map((e) => e.reason)).toEqual([]);
    const missing = decide(created(200));
    const recovered = decide({ ...created(200), status: { ...missing.status, ...healedStatus(), agent: { heartbeatTime: "2025-05-05T16:49:58Z" } } });
    expect(recovered.events.map((e) => e.reason).sort()).toEqual(["Healthy", "Reporting"]);
  });
});

describe("the other nodes' remediations", () => {
  it("are those of existing nodes other than this one: an orphan awaiting GC counts for nothing", () => {
    const healths = ["w1", "w2", "gone"].map((name) => health(name, { remediation: { phase: "Pending", orderId: `${name}-1` } }));
    expect(otherRemediations(healths, "w1", (name) => name !== "gone")).toEqual([{ phase: "Pending", orderId: "w2-1" }]);
  });
});

describe("reconcileNode from a diagnosis already made", () => {
  it("decides as it does diagnosing itself (the CLI diagnoses the whole cluster once)", () => {
    const observation = observe({ nodes: [node(W, "192.168.1.42")], pods: [konnectivityPod(W)], healths: [health(W, brokenStatus())] });
    const made = diagnose(observation, DEFAULT_POLICY.staleAfterSeconds).nodes.find((n) => n.node === W);
    const given = reconcileNode({ observation, node: W, policy: DEFAULT_POLICY, diagnosis: made });
    expect(given.status.remediation).toEqual(reconcileNode({ observation, node: W, policy: DEFAULT_POLICY }).status.remediation);
    expect(given.status.remediation?.phase).toBe("Pending");
  });
});

describe("a reporting agent's staleness is looked at when it falls due, a silent agent's node every 5 minutes", () => {
  const reporting = (heartbeatTime: string): NetworkHealthStatus => ({ ...healedStatus(), agent: { heartbeatTime } });
  it.each([
    { heartbeat: "2025-05-05T16:49:58Z", staleAfter: 750, requeue: 749, reason: "Reporting" },
    { heartbeat: "2025-05-05T16:37:30Z", staleAfter: 750, requeue: 1, reason: "Reporting" },
    { heartbeat: "2025-05-05T16:37:29Z", staleAfter: 750, requeue: 300, reason: "Stale" },
    { heartbeat: "2025-05-05T16:49:58.400Z", staleAfter: 120, requeue: 120, reason: "Reporting" },
  ])("heartbeat $heartbeat, staleAfterSeconds $staleAfter: AgentReporting $reason, looked at again after $requeue s", ({ heartbeat, staleAfter, requeue, reason }) => {
    const result = run({ [W]: reporting(heartbeat) }, { policy: policy({ staleAfterSeconds: staleAfter }) });
    expect(condition(result, "AgentReporting")?.reason).toBe(reason);
    expect(result.requeueAfterSeconds).toBe(requeue);
  });

  it("an earlier deadline (an order's timeout) still wins", () => {
    const result = run({ [W]: withAgent(brokenStatus(), []) });
    expect(result.status.remediation?.phase).toBe("Pending");
    expect(result.requeueAfterSeconds).toBe(DEFAULT_POLICY.orderTimeoutSeconds);
  });
});
