import { afterEach, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { DeliveryProof } from "../../../src/agent/delivery-proof.js";

describe("DeliveryProof", () => {
  let misses: Array<[string, number]>;
  let restarts: boolean;
  const proof = () => new DeliveryProof(1000, (version, graceMs) => (misses.push([version, graceMs]), restarts));

  beforeEach(() => {
    jest.useFakeTimers();
    misses = [];
    restarts = true;
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const cases: Array<[string, (p: DeliveryProof) => unknown, Array<[string, number]>]> = [
    ["delivered in time: no miss", (p: DeliveryProof) => (p.expect("5"), jest.advanceTimersByTime(999), p.saw("5"), jest.advanceTimersByTime(5000)), []],
    ["seen before the write's answer (event first): no miss", (p: DeliveryProof) => (p.saw("5"), p.expect("5"), jest.advanceTimersByTime(5000)), []],
    ["not delivered: one miss at the grace", (p: DeliveryProof) => (p.expect("5"), jest.advanceTimersByTime(1000)), [["5", 1000]]],
    ["another version seen: still a miss", (p: DeliveryProof) => (p.expect("5"), p.saw("4"), jest.advanceTimersByTime(1000)), [["5", 1000]]],
    ["a newer expectation replaces the older", (p: DeliveryProof) => (p.expect("5"), jest.advanceTimersByTime(500), p.expect("6"), jest.advanceTimersByTime(1000)), [["6", 1000]]],
    ["cleared (the watch stopped): no miss", (p: DeliveryProof) => (p.expect("5"), p.clear(), jest.advanceTimersByTime(5000)), []],
  ];
  it.each(cases)("%s", (_case, steps, expected) => {
    steps(proof());
    expect(misses).toEqual(expected);
  });

  it("each miss acted on doubles the grace up to 8×; a delivery in time resets it", () => {
    const p = proof();
    for (const version of ["1", "2", "3", "4", "5"]) {
      p.expect(version);
      jest.advanceTimersByTime(p.graceMs);
    }
    expect(misses.map(([, grace]) => grace)).toEqual([1000, 2000, 4000, 8000, 8000]);
    p.expect("6");
    p.saw("6");
    expect(p.graceMs).toBe(1000);
  });

  it("a miss nobody acted on (no watch in flight) does not stretch the grace", () => {
    restarts = false;
    const p = proof();
    p.expect("1");
    jest.advanceTimersByTime(1000);
    expect(misses).toEqual([["1", 1000]]);
    expect(p.graceMs).toBe(1000);
  });
});
