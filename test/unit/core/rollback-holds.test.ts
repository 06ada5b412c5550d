import { describe, expect, it } from "@jest/globals";
import type { ActionResult, HeldAction, NetworkHealthStatus, RemediationStatus } from "../../../src/api/index.js";
import { DEFAULT_POLICY, reconcileNode, type NodeReconcileResult } from "../../../src/core/index.js";
import { orderStamp, rollbackHolds } from "../../../src/core/rollback-holds.js";
import { health, k0sBrokenFacts, konnectivityPod, node, observe, probe } from "../../fixtures/cluster.js";

const W = "worker-1";
const O1 = "worker-1-20250505T164000000Z";
const O2 = "worker-1-20250505T164500000Z";
const rolledBack = (action: ActionResult["action"], orderId = O1): ActionResult =>
  ({ orderId, action, result: "Failed", reason: "RolledBack", time: "2025-05-05T16:49:40Z", detail: "RolledBack: API server unreachable; undid 2 changes" });
const held = (action: HeldAction["action"], orderId = O1): HeldAction =>
  ({ action, orderId, time: "2025-05-05T16:49:40Z", detail: "RolledBack: API server unreachable; undid 2 changes" });
const plainFailure: ActionResult = { orderId: O1, action: "EnableIPForwarding", result: "Failed", time: "2025-05-05T16:49:40Z", detail: "sysctl: permission denied" };

describe("rollbackHolds: which actions the controller holds", () => {
  it.each<[string, HeldAction[] | undefined, ActionResult[], string | undefined, { held: string[]; added: string[]; cleared: string[] }]>([
    ["nothing rolled back: nothing held", undefined, [plainFailure], undefined, { held: [], added: [], cleared: [] }],
    ["a RolledBack result becomes a hold, once", undefined, [rolledBack("OpenHostFirewall")], undefined, { held: ["OpenHostFirewall"], added: ["OpenHostFirewall"], cleared: [] }],
    ["a hold already stored is not added again (no second Event)", [held("OpenHostFirewall")], [rolledBack("OpenHostFirewall")], undefined, { held: ["OpenHostFirewall"], added: [], cleared: [] }],
    ["a stored hold outlives its result leaving the agent's list", [held("OpenHostFirewall")], [], undefined, { held: ["OpenHostFirewall"], added: [], cleared: [] }],
    ["the annotation naming its order clears it", [held("OpenHostFirewall")], [rolledBack("OpenHostFirewall")], O1, { held: [], added: [], cleared: ["OpenHostFirewall"] }],
    ["a cleared rollback still in the results does not come back", [], [rolledBack("OpenHostFirewall")], O1, { held: [], added: [], cleared: [] }],
    ["a later order's annotation clears every earlier hold", [held("OpenHostFirewall"), held("EnableIPForwarding", O2)], [], O2, { held: [], added: [], cleared: ["OpenHostFirewall", "EnableIPForwarding"] }],
    ["an earlier order's annotation leaves a later rollback held", [held("OpenHostFirewall", O2)], [], O1, { held: ["OpenHostFirewall"], added: [], cleared: [] }],
    ["a value that is no orderId clears nothing", [held("OpenHostFirewall")], [], "yes", { held: ["OpenHostFirewall"], added: [], cleared: [] }],
    ["a rollback of another action is held beside the first", [held("OpenHostFirewall")], [rolledBack("EnableBridgeNetfilter", O2)], undefined, { held: ["OpenHostFirewall", "EnableBridgeNetfilter"], added: ["EnableBridgeNetfilter"], cleared: [] }],
  ])("%s", (_name, previous, results, annotation, want) => {
    const holds = rollbackHolds(previous, results, annotation);
    expect({ held: holds.held.map((h) => h.action), added: holds.added.map((h) => h.action), cleared: holds.cleared.map((h) => h.action) }).toEqual(want);
  });

  it.each([
    [O1, "20250505T164000000Z"],
    ["my-node-20261204T135316123Z", "20261204T135316123Z"],
    ["worker-1-1", undefined],
    ["", undefined],
  ])("orderStamp(%p) = %p", (orderId, stamp) => {
    expect(orderStamp(orderId)).toBe(stamp);
  });
});

/** One reconcile of W with the k0s fault (three fixes) and `status`, its NetworkHealth annotated with `annotations`. */
function run(status: NetworkHealthStatus, annotations: Record<string, string> = {}): NodeReconcileResult {
  const object = health(W, { facts: k0sBrokenFacts(), probes: [probe("Pod", "Konnectivity", "EHOSTUNREACH"), probe("Host", "Konnectivity", "ok")], ...status });
  object.metadata.annotations = annotations;
  const observation = observe({ nodes: [node(W, "192.168.1.42")], pods: [konnectivityPod(W)], healths: [object] });
  return reconcileNode({ observation, node: W, policy: DEFAULT_POLICY });
}

const failedOrder: RemediationStatus = { phase: "Failed", mode: "Auto", orderId: O1, attempts: 1, lastAttemptTime: "2025-05-05T16:40:00Z", message: "OpenHostFirewall failed" };
const agent = (results: ActionResult[]) => ({ heartbeatTime: "2025-05-05T16:49:50Z", version: "test", results });
const remediating = (result: NodeReconcileResult) => result.status.conditions?.find((c) => c.type === "Remediating");
const CLEAR = `kubectl annotate networkhealth ${W} netmedic.io/clear-rollback=${O1} --overwrite`;

describe("reconcileNode with a rolled-back action", () => {
  it("holds it, keeps ordering the other actions (not those that need it), says how to clear it in the condition and in one Warning", () => {
    const result = run({ remediation: failedOrder, agent: agent([rolledBack("OpenHostFirewall")]) });
    expect(result.status.remediation?.held).toEqual([held("OpenHostFirewall")]);
    expect(result.status.remediation?.phase).toBe("Pending");
    // Bridge netfilter before the firewall is open would break same-node pod traffic: it waits too.
    expect(result.status.remediation?.actions?.map((a) => a.action)).toEqual(["EnableIPForwarding"]);
    expect(remediating(result)).toMatchObject({ status: "True", reason: "Pending" });
    expect(remediating(result)?.message).toContain(CLEAR);
    const warnings = result.events.filter((e) => e.reason === "RolledBack");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: "Warning" });
    expect(warnings[0]?.message).toContain(CLEAR);
  });

  it("with every needed action held: Blocked, Remediating False/RolledBack, and the stored hold emits no second Event", () => {
    const allHeld = ["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"] as const;
    const first = run({ remediation: failedOrder, agent: agent(allHeld.map((a) => rolledBack(a))) });
    expect(first.status.remediation).toMatchObject({ phase: "Blocked" });
    expect(first.status.remediation?.actions).toBeUndefined();
    expect(remediating(first)).toMatchObject({ status: "False", reason: "RolledBack" });
    expect(remediating(first)?.message).toContain(CLEAR);
    expect(first.events.filter((e) => e.reason === "RolledBack")).toHaveLength(3);
    const second = run({ ...first.status, agent: agent(allHeld.map((a) => rolledBack(a))) });
    expect(second.events).toEqual([]);
    expect(second.changed).toBe(false);
  });

  it.each<[string, HeldAction["action"][], string, string[] | undefined, string | undefined]>([
    ["EnableIPForwarding held: the firewall and bridge netfilter are still ordered", ["EnableIPForwarding"], "Pending", ["OpenHostFirewall", "EnableBridgeNetfilter"], undefined],
    ["the firewall and forwarding held: bridge netfilter waits for the firewall, nothing is left to order", ["OpenHostFirewall", "EnableIPForwarding"], "Blocked", undefined, "EnableBridgeNetfilter waits for OpenHostFirewall"],
  ])("%s", (_case, rolled, phase, ordered, waits) => {
    const result = run({ remediation: failedOrder, agent: agent(rolled.map((a) => rolledBack(a))) });
    expect(result.status.remediation?.phase).toBe(phase);
    expect(result.status.remediation?.actions?.map((a) => a.action)).toEqual(ordered);
    if (waits) expect(result.status.remediation?.message).toContain(waits);
  });

  it("the annotation clears it: the action is ordered again, with one Normal RollbackCleared", () => {
    const result = run({ remediation: { ...failedOrder, held: [held("OpenHostFirewall")] }, agent: agent([rolledBack("OpenHostFirewall")]) }, { "netmedic.io/clear-rollback": O1 });
    expect(result.status.remediation?.held).toBeUndefined();
    expect(result.status.remediation?.actions?.map((a) => a.action)).toEqual(["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"]);
    expect(result.events.filter((e) => e.reason === "RollbackCleared")).toEqual([expect.objectContaining({ type: "Normal" })]);
    expect(remediating(result)?.message).not.toContain("clear-rollback");
  });
});
