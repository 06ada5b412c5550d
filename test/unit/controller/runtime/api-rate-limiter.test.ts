import { afterEach, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { ApiRateLimiter } from "../../../../src/controller/runtime/api-rate-limiter.js";

describe("ApiRateLimiter", () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  async function granted(limiter: ApiRateLimiter, count: number): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < count; i += 1) void limiter.acquire().then(() => times.push(Date.now()));
    await jest.advanceTimersByTimeAsync(5000);
    return times;
  }

  it("lets the burst through at once, then one request per 1/qps, first come first served", async () => {
    const limiter = new ApiRateLimiter({ qps: 10, burst: 3 });
    const times = await granted(limiter, 6);
    expect(times.slice(0, 3)).toEqual([0, 0, 0]);
    expect(times.slice(3)).toEqual([100, 200, 300]);
    expect(limiter.queued).toBe(0);
    expect(limiter.totalWaitMs).toBe(600);
  });

  it("a raised rate re-times the requests already waiting", async () => {
    const limiter = new ApiRateLimiter({ qps: 1, burst: 1 });
    const order: string[] = [];
    await limiter.acquire();
    void limiter.acquire().then(() => order.push(`second@${Date.now()}`));
    await jest.advanceTimersByTimeAsync(100);
    limiter.setRate({ qps: 100, burst: 1 });
    await jest.advanceTimersByTimeAsync(100);
    // 0.1 token saved at the old rate by t=100, the other 0.9 at 100/s: 9 ms more.
    expect(order).toEqual(["second@109"]);
  });

  it("never delays a request while tokens remain and nobody waits", async () => {
    const limiter = new ApiRateLimiter({ qps: 1, burst: 100 });
    const times = await granted(limiter, 100);
    expect(new Set(times)).toEqual(new Set([0]));
  });
});
