import { afterEach, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { WorkQueue, type WorkQueueOptions } from "../../../../src/controller/runtime/work-queue.js";

const options: WorkQueueOptions = { backoff: { baseMs: 100, capMs: 1000, random: () => 0.5 } };

describe("WorkQueue", () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it("holds a waiting key once however often it is added", async () => {
    const queue = new WorkQueue(options);
    queue.add("a");
    queue.add("b");
    queue.add("a");
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe("a");
    expect(await queue.get()).toBe("b");
  });

  it("processes a key re-added while in flight once more, after done, never concurrently", async () => {
    const queue = new WorkQueue(options);
    queue.add("a");
    const key = await queue.get();
    queue.add("a");
    queue.add("a");
    expect(queue.length).toBe(0);
    queue.done(key as string);
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe("a");
    queue.done("a");
    expect(queue.length).toBe(0);
  });

  it("wakes a waiting get when a key arrives", async () => {
    const queue = new WorkQueue(options);
    const pending = queue.get();
    queue.add("n1");
    await expect(pending).resolves.toBe("n1");
  });

  it("backs a failing key off exponentially up to the cap, and forget resets it", () => {
    const queue = new WorkQueue(options);
    const delays = [0, 1, 2, 3, 4, 5].map(() => queue.addRateLimited("a"));
    // equal jitter with random()=0.5: 3/4 of min(cap, base·2^n)
    expect(delays).toEqual([75, 150, 300, 600, 750, 750]);
    expect(queue.failureCount("a")).toBe(6);
    queue.forget("a");
    expect(queue.failureCount("a")).toBe(0);
    expect(queue.addRateLimited("a")).toBe(75);
  });

  it("adds a delayed key when its time comes; the earliest of several delays wins", async () => {
    const queue = new WorkQueue(options);
    queue.addAfter("a", 500);
    queue.addAfter("a", 200);
    queue.addAfter("a", 900);
    await jest.advanceTimersByTimeAsync(199);
    expect(queue.length).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(queue.length).toBe(1);
    await jest.advanceTimersByTimeAsync(1000);
    expect(queue.length).toBe(1);
  });

  it("after shutDown: get resolves undefined, adds and delayed keys are dropped", async () => {
    const queue = new WorkQueue(options);
    const waiting = queue.get();
    queue.addAfter("late", 100);
    queue.shutDown();
    await expect(waiting).resolves.toBeUndefined();
    queue.add("a");
    await jest.advanceTimersByTimeAsync(200);
    expect(queue.length).toBe(0);
    await expect(queue.get()).resolves.toBeUndefined();
  });
});
