// An agent runs for months: it keeps the revert handles of its newest actions only.
import { describe, expect, it } from "@jest/globals";
import { MAX_KEPT_OUTCOMES, RecentOutcomes } from "../../../src/agent/recent-outcomes.js";

const outcome = (detail: string) => ({ result: "Succeeded" as const, detail, revert: async () => undefined });

describe("RecentOutcomes", () => {
  it("holds at most its limit, forgetting the oldest first", () => {
    const kept = new RecentOutcomes();
    for (let i = 0; i < MAX_KEPT_OUTCOMES * 10; i += 1) kept.set(`o${i}/EnableIPForwarding`, outcome(`${i}`));
    expect(kept.size).toBe(MAX_KEPT_OUTCOMES);
    expect(kept.has("o0/EnableIPForwarding")).toBe(false);
    expect(kept.get(`o${MAX_KEPT_OUTCOMES * 10 - 1}/EnableIPForwarding`)?.detail).toBe(`${MAX_KEPT_OUTCOMES * 10 - 1}`);
  });

  it("treats a key set again as the newest", () => {
    const kept = new RecentOutcomes(2);
    kept.set("a", outcome("a1")).set("b", outcome("b")).set("a", outcome("a2")).set("c", outcome("c"));
    expect([...kept.keys()]).toEqual(["a", "c"]);
    expect(kept.get("a")?.detail).toBe("a2");
  });
});
