// The policy gates every non-disruptive node action shares, as tests one action's suite calls with
// its own fixture: off unless the policy allows it (the action Observe or Disabled, the node opted
// out), held back by maxConcurrent, the cooldown and maxAttempts, and not paused by the breaker.
import { expect, it } from "@jest/globals";
import type { ActionName, NetworkHealthStatus, RemediationStatus } from "../../../src/api/index.js";
import type { NodeReconcileResult, RemediationPolicy } from "../../../src/core/index.js";

/** One action's fixture: reconcile node `node` among `statuses`, its broken status, and its pending order. */
export interface GateFixture {
  node: string;
  run: (statuses: Record<string, NetworkHealthStatus>, overrides?: Partial<RemediationPolicy>, annotations?: Record<string, string>) => NodeReconcileResult;
  broken: (extra?: NetworkHealthStatus) => NetworkHealthStatus;
  pending: (extra?: Partial<RemediationStatus>) => RemediationStatus;
}

/** Declares the gate tests for `action`; `planned` is how Observe mode names it, e.g. `OpenUfw(podCIDR=…)`. */
export function policyGateTests(action: ActionName, planned: RegExp, f: GateFixture): void {
  const escaped = action.replace(/[()]/g, "\\$&");
  it.each([
    ["the action in Observe", { actions: { [action]: "Observe" as const } }, undefined, new RegExp(`^Observe mode \\(cluster default\\): would run ${planned.source}$`)],
    ["the action Disabled", { actions: { [action]: "Disabled" as const } }, undefined, new RegExp(`^remediation disabled \\(cluster default\\); needed: ${escaped}$`)],
    ["the node opted out", {}, { "netmedic.io/remediation": "disabled" }, /^remediation disabled \(node annotation/],
  ])("off unless the policy allows it: %s", (_name, overrides, annotations, message) => {
    const remediation = f.run({ [f.node]: f.broken() }, overrides, annotations).status.remediation;
    expect(remediation?.phase).toBe("Idle");
    expect(remediation?.actions ?? []).toEqual([]);
    expect(remediation?.message).toMatch(message);
  });

  it("maxConcurrent, cooldown and maxAttempts hold it back like any action", () => {
    const busy = f.run({ [f.node]: f.broken(), "agent-2": f.broken({ remediation: f.pending({ orderId: "agent-2-1" }) }) });
    expect(busy.status.remediation).toMatchObject({ phase: "Blocked", message: "waiting: 1 node(s) already remediating (maxConcurrent=1)" });
    const failedRecently = { phase: "Failed", attempts: 1, lastAttemptTime: "2025-05-05T16:48:00Z" } as const;
    expect(f.run({ [f.node]: f.broken({ remediation: failedRecently }) }).status.remediation?.message).toMatch(/^cooldown: next attempt in \d+s/);
    const exhausted = { phase: "Failed", attempts: 3, lastAttemptTime: "2025-05-05T16:00:00Z" } as const;
    expect(f.run({ [f.node]: f.broken({ remediation: exhausted }) }).status.remediation?.message).toMatch(new RegExp(`^gave up after 3 orders \\(maxAttempts=3\\) for ${escaped}`));
  });

  it("the breaker does not pause it: it restarts nothing (not in DISRUPTIVE_ACTIONS)", () => {
    const result = f.run({ [f.node]: f.broken() }, { breaker: { maxFailedNodes: 0, windowSeconds: 900 } });
    expect(result.status.remediation).toMatchObject({ phase: "Pending", actions: [expect.objectContaining({ action })] });
  });
}
