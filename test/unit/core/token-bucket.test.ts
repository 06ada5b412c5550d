import { describe, expect, it } from "@jest/globals";
import { TokenBucket } from "../../../src/core/index.js";

describe("TokenBucket", () => {
  it.each([
    // rate, burst, takes at t=0, then: wait reported for the next take
    { rate: 10, burst: 2, takes: 2, nextWaitMs: 100 },
    { rate: 4, burst: 1, takes: 1, nextWaitMs: 250 },
    { rate: 1000, burst: 5, takes: 5, nextWaitMs: 1 },
  ])("rate $rate/s, burst $burst: $takes free takes, then $nextWaitMs ms to wait", ({ rate, burst, takes, nextWaitMs }) => {
    const bucket = new TokenBucket(rate, burst, 0);
    for (let i = 0; i < takes; i += 1) expect(bucket.take(0)).toBe(0);
    expect(bucket.take(0)).toBe(nextWaitMs);
    expect(bucket.take(nextWaitMs)).toBe(0);
  });

  it("refills no further than the burst however long it idles", () => {
    const bucket = new TokenBucket(10, 3, 0);
    for (let i = 0; i < 3; i += 1) bucket.take(0);
    const afterIdle = [1, 2, 3, 4].map(() => bucket.take(60_000));
    expect(afterIdle).toEqual([0, 0, 0, 100]);
  });

  it("a clock stepping back neither mints nor destroys tokens", () => {
    const bucket = new TokenBucket(10, 1, 1000);
    expect(bucket.take(1000)).toBe(0);
    expect(bucket.take(500)).toBe(100);
    expect(bucket.take(1100)).toBe(0);
  });

  it("setRate keeps saved tokens up to the new burst and refills at the new rate", () => {
    const bucket = new TokenBucket(1, 10, 0);
    bucket.setRate(100, 2, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 10]);
  });
});
