import { describe, expect, it } from "@jest/globals";
import type { ActionResult, NetworkHealth, RemediationStatus } from "../../../src/api/index.js";
import { waitForOrder } from "../../../src/agent/order-watch.js";

const order: RemediationStatus = { phase: "Pending", mode: "Auto", orderId: "w-1", attempts: 1, actions: [{ action: "EnableIPForwarding" }] };
const withRemediation = (remediation?: RemediationStatus): NetworkHealth =>
  ({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: "w" }, status: remediation ? { remediation } : {} });

/** A store whose NetworkHealth carries `order` from read number `orderFrom` on; counts reads. */
function store(orderFrom: number, results: ActionResult[] = []) {
  let reads = 0;
  return {
    watch: { read: async () => withRemediation(++reads >= orderFrom ? order : undefined), results: () => results, firstLookMs: 20 },
    reads: () => reads,
  };
}

describe("waitForOrder (order pickup between rounds)", () => {
  it.each([
    // looks at 20, 60, 140 ms (20 doubling) inside a 200 ms interval
    { case: "an order on the first look ends the wait after ~20 ms", orderFrom: 1, expected: "order", reads: 1, maxMs: 120 },
    { case: "an order on the third look (after 20 + 40 + 80 ms)", orderFrom: 3, expected: "order", reads: 3, maxMs: 190 },
    { case: "no order: three looks, then the rest of the interval", orderFrom: 99, expected: "interval", reads: 3, maxMs: 400 },
  ])("$case", async ({ orderFrom, expected, reads, maxMs }) => {
    const { watch, reads: readCount } = store(orderFrom);
    const started = Date.now();
    expect(await waitForOrder(watch, 200, new AbortController().signal)).toBe(expected);
    const took = Date.now() - started;
    expect(readCount()).toBe(reads);
    expect(took).toBeLessThan(maxMs);
    if (expected === "interval") expect(took).toBeGreaterThanOrEqual(195);
  });

  it("an order this agent already completed is not due", async () => {
    const done: ActionResult[] = [{ orderId: "w-1", action: "EnableIPForwarding", result: "Succeeded", time: "2026-11-23T12:00:00Z" }];
    const { watch } = store(1, done);
    expect(await waitForOrder(watch, 100, new AbortController().signal)).toBe("interval");
  });

  it("a read error is left to the next round; an abort ends the wait at once", async () => {
    const stop = new AbortController();
    const failing = { read: async () => { throw Object.assign(new Error("503"), { code: 503 }); }, results: () => [], firstLookMs: 10 };
    const waiting = waitForOrder(failing, 10_000, stop.signal);
    setTimeout(() => stop.abort(), 50);
    const started = Date.now();
    expect(await waiting).toBe("interval");
    expect(Date.now() - started).toBeLessThan(200);
  });
});
