// "Changed" must mean changed in what survives a server-side apply round trip: empties and key
// order are not changes, anything else is. sameControllerStatus decides this without building the
// normal forms; it must agree with comparing them.
import { describe, expect, it } from "@jest/globals";
import type { NetworkHealthStatus } from "../../../src/api/index.js";
import { controllerStatusOf, sameControllerStatus } from "../../../src/core/index.js";

const condition = (status: string, extra: Record<string, unknown> = {}) => ({ type: "Ready", status, reason: "Healthy", message: "ok", lastTransitionTime: "2026-11-23T10:00:00Z", ...extra });

describe("sameControllerStatus", () => {
  it.each<[string, unknown, unknown, boolean]>([
    ["identical", { conditions: [condition("True")] }, { conditions: [condition("True")] }, true],
    ["key order", { diagnosis: { summary: "s", rootCause: "R" } }, { diagnosis: { rootCause: "R", summary: "s" } }, true],
    ["an empty string is absent", { diagnosis: { summary: "s", rootCause: "" } }, { diagnosis: { summary: "s" } }, true],
    ["an empty list is absent", { diagnosis: { summary: "s", evidence: [] } }, { diagnosis: { summary: "s" } }, true],
    ["an object of empties is absent", { remediation: { actions: [], message: "" } }, {}, true],
    ["undefined stored status vs empty desired", undefined, {}, true],
    ["agent-owned fields are not compared", { conditions: [condition("True")], facts: { collectedAt: "a" } }, { conditions: [condition("True")] }, true],
    ["a changed condition status", { conditions: [condition("True")] }, { conditions: [condition("False")] }, false],
    ["a changed transition time", { conditions: [condition("True")] }, { conditions: [condition("True", { lastTransitionTime: "2026-11-23T10:00:01Z" })] }, false],
    ["list order matters", { diagnosis: { evidence: ["a:1", "b:2"] } }, { diagnosis: { evidence: ["b:2", "a:1"] } }, false],
    ["an extra list item", { history: [{ action: "x" }] }, { history: [{ action: "x" }, { action: "y" }] }, false],
    ["an empty string inside a list is kept", { diagnosis: { evidence: [""] } }, { diagnosis: {} }, false],
    ["a value appears", { diagnosis: { summary: "s" } }, { diagnosis: { summary: "s", rootCause: "R" } }, false],
    ["0 is a value", { observedGeneration: 0 }, {}, false],
    ["a number vs a string", { observedGeneration: 1 }, { observedGeneration: "1" }, false],
    ["a list vs an object", { diagnosis: { evidence: ["a"] } }, { diagnosis: { evidence: { 0: "a" } } }, false],
  ])("%s", (_name, stored, desired, same) => {
    expect(sameControllerStatus(stored as NetworkHealthStatus | undefined, desired as NetworkHealthStatus)).toBe(same);
  });

  it("agrees with comparing the normal forms, over 5,000 random pairs", () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const value = (depth: number): unknown => {
      const kind = depth > 2 ? pick(["leaf", "leaf"]) : pick(["leaf", "list", "object", "object"]);
      if (kind === "leaf") return pick([undefined, "", "a", "b", 0, 1, true, null]);
      if (kind === "list") return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 3) }, () => [pick(["x", "y", "z"]), value(depth + 1)]));
    };
    const status = () => ({ diagnosis: value(0), remediation: value(1) }) as NetworkHealthStatus;
    const canonical = (input: unknown): string => JSON.stringify(input, (_key, item: unknown) =>
      item !== null && typeof item === "object" && !Array.isArray(item) ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1))) : item);
    let equalPairs = 0;
    for (let i = 0; i < 5000; i += 1) {
      const [a, b] = [status(), status()];
      const expected = canonical(controllerStatusOf(a)) === canonical(controllerStatusOf(b));
      if (expected) equalPairs += 1;
      expect([i, sameControllerStatus(a, b)]).toEqual([i, expected]);
      expect(sameControllerStatus(a, controllerStatusOf(a))).toBe(true);
    }
    // The generator must produce both outcomes for the comparison to mean anything.
    expect(equalPairs).toBeGreaterThan(50);
    expect(equalPairs).toBeLessThan(4950);
  });
});
