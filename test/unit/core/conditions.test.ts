import { describe, expect, it } from "@jest/globals";
import { mergeConditions, type CheckResult } from "../../../src/core/index.js";

const check = (type: CheckResult["type"], status: CheckResult["status"], reason: string, message = "m"): CheckResult => ({ type, status, reason, message, evidence: [] });
const T0 = "2025-05-05T16:00:00Z";
const T1 = "2025-05-05T16:10:00Z";

describe("mergeConditions", () => {
  type Row = [string, CheckResult["status"] | undefined, CheckResult["status"], string, string, Array<{ from: string; to: string }>];
  const rows: Row[] = [
    ["new condition → now", undefined, "True", "Enabled", T1, [{ from: "Absent", to: "True" }]],
    ["same status → keeps the old time", "True", "True", "Enabled", T0, []],
    ["status flips → now", "True", "False", "Disabled", T1, [{ from: "True", to: "False" }]],
    ["only the reason changes → keeps the old time", "False", "False", "ModuleNotLoaded", T0, []],
  ];
  it.each(rows)("%s", (_name, before, status, reason, expectedTime, transitions) => {
    const previous = before ? [{ type: "BridgeNetfilter", status: before, reason: "Enabled", message: "x", lastTransitionTime: T0 }] : undefined;
    const result = mergeConditions(previous, [check("BridgeNetfilter", status, reason)], T1, 3);
    expect(result.conditions).toEqual([{ type: "BridgeNetfilter", status, reason, message: "m", lastTransitionTime: expectedTime, observedGeneration: 3 }]);
    expect(result.transitions.map(({ from, to }) => ({ from, to }))).toEqual(transitions);
  });

  it("orders conditions as the contract lists them, whatever the input order", () => {
    const result = mergeConditions(undefined, [check("Remediating", "False", "Idle"), check("IPForwarding", "True", "Enabled"), check("Ready", "True", "Healthy")], T0, undefined);
    expect(result.conditions.map((c) => c.type)).toEqual(["Ready", "IPForwarding", "Remediating"]);
    expect(result.conditions[0]).not.toHaveProperty("observedGeneration");
  });
});
