import { describe, expect, it } from "@jest/globals";
import { backoffDelayMs } from "../../../../src/controller/runtime/backoff.js";

describe("backoffDelayMs", () => {
  it.each([
    [0, 0, 50],
    [0, 0.999999, 100],
    [3, 0, 400],
    [3, 0.5, 600],
    [10, 0.5, 3750],
    [1000, 0.5, 3750],
    [-5, 0, 50],
  ])("attempt %i, random %f → %i ms (base 100, cap 5000)", (attempt, random, expected) => {
    expect(backoffDelayMs(attempt, { baseMs: 100, capMs: 5000, random: () => random })).toBe(expected);
  });

  it("spreads retries of the same attempt over [delay/2, delay)", () => {
    const delays = Array.from({ length: 200 }, () => backoffDelayMs(2, { baseMs: 100, capMs: 5000 }));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...delays)).toBeLessThanOrEqual(400);
    expect(new Set(delays).size).toBeGreaterThan(10);
  });
});
