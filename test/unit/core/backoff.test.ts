import { describe, expect, it } from "@jest/globals";
import { jitteredBackoffMs } from "../../../src/core/backoff.js";

describe("jitteredBackoffMs", () => {
  it.each([
    // attempt, base, cap, random → ms
    [0, 100, 5000, 0, 50],
    [0, 100, 5000, 0.999999, 100],
    [1, 100, 5000, 0, 100],
    [3, 100, 5000, 0, 400],
    [3, 100, 5000, 0.5, 600],
    [10, 100, 5000, 0.5, 3750],
    [1000, 100, 5000, 0.5, 3750],
    [-5, 100, 5000, 0, 50],
    [0, 1000, 60_000, 0.5, 750],
    [6, 1000, 60_000, 0, 30_000],
    [40, 1000, 30_000, 0.999999, 30_000],
  ])("attempt %i, base %i, cap %i, random %f → %i ms", (attempt, base, cap, random, expected) => {
    expect(jitteredBackoffMs(attempt, base, cap, random)).toBe(expected);
  });
});
