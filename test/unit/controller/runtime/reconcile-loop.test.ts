import { Writable } from "node:stream";
import { describe, expect, it } from "@jest/globals";
import { ApiException } from "@kubernetes/client-node";
import { createControllerLogger } from "../../../../src/controller/logger.js";
import { ControllerMetrics } from "../../../../src/controller/metrics.js";
import type { ReconcileOutcome } from "../../../../src/controller/reconcile/node-reconciler.js";
import { ReconcileLoop } from "../../../../src/controller/runtime/reconcile-loop.js";
import { WorkQueue } from "../../../../src/controller/runtime/work-queue.js";

const silent = createControllerLogger("silent", new Writable({ write: (_chunk, _encoding, done) => done() }));
const apiError = (code: number) => new ApiException(code, "x", JSON.stringify({ message: `status ${code}` }), {});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function harness(behaviour: (name: string, call: number) => ReconcileOutcome | Error) {
  const queue = new WorkQueue({ backoff: { baseMs: 20, capMs: 40, random: () => 0 } });
  const calls: string[] = [];
  const reported: Array<[string, string]> = [];
  const metrics = new ControllerMetrics({ networkHealths: () => [], apiServices: () => [] });
  const loop = new ReconcileLoop({
    queue, metrics, logger: silent,
    reconcile: async (name) => {
      calls.push(name);
      const outcome = behaviour(name, calls.filter((n) => n === name).length);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    reportTerminal: async (name, description) => {
      reported.push([name, description]);
    },
  });
  loop.start();
  const stop = async () => {
    queue.shutDown();
    await loop.drain();
  };
  return { queue, calls, reported, metrics, stop };
}

async function counter(metrics: ControllerMetrics, name: string): Promise<Record<string, number>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Object.fromEntries((metric?.values ?? []).map((v) => [JSON.stringify(v.labels), v.value]));
}

describe("ReconcileLoop", () => {
  it("runs `workers` reconciles of different nodes at once, never two of the same node", async () => {
    const queue = new WorkQueue({ backoff: { baseMs: 20, capMs: 40, random: () => 0 } });
    const running = new Set<string>();
    let peak = 0;
    const overlapping: string[] = [];
    const loop = new ReconcileLoop({
      queue, metrics: new ControllerMetrics({ networkHealths: () => [], apiServices: () => [] }), logger: silent, workers: 3,
      reconcile: async (name) => {
        if (running.has(name)) overlapping.push(name);
        running.add(name);
        peak = Math.max(peak, running.size);
        await sleep(30);
        running.delete(name);
        return { wrote: false };
      },
      reportTerminal: async () => undefined,
    });
    loop.start();
    for (const name of ["a", "b", "c", "d", "e"]) queue.add(name);
    await sleep(10);
    for (const name of ["a", "b", "c"]) queue.add(name);
    await sleep(150);
    queue.shutDown();
    await loop.drain();
    expect(peak).toBe(3);
    expect(overlapping).toEqual([]);
  });

  it("retries a transient failure with backoff until it succeeds", async () => {
    const { queue, calls, reported, metrics, stop } = harness((_name, call) => (call < 3 ? apiError(503) : { wrote: true }));
    queue.add("n1");
    await sleep(150);
    await stop();
    expect(calls).toEqual(["n1", "n1", "n1"]);
    expect(reported).toEqual([]);
    expect(queue.failureCount("n1")).toBe(0);
    expect(await counter(metrics, "netmedic_reconcile_errors_total")).toEqual({ [JSON.stringify({ class: "transient" })]: 2 });
  });

  it("records a terminal failure once, and does not retry it on its own", async () => {
    const { queue, calls, reported, metrics, stop } = harness(() => apiError(422));
    queue.add("n1");
    await sleep(100);
    expect(calls).toEqual(["n1"]);
    queue.add("n1");
    await sleep(50);
    await stop();
    expect(calls).toEqual(["n1", "n1"]);
    expect(reported).toEqual([["n1", "HTTP 422: status 422"]]);
    expect(await counter(metrics, "netmedic_reconcile_errors_total")).toEqual({ [JSON.stringify({ class: "terminal" })]: 2 });
  });

  it("looks again after the core's requeueAfterSeconds", async () => {
    const { queue, calls, stop } = harness((_name, call) => ({ wrote: false, requeueAfterSeconds: call === 1 ? 0.05 : undefined }));
    queue.add("n1");
    await sleep(20);
    expect(calls).toEqual(["n1"]);
    await sleep(100);
    await stop();
    expect(calls).toEqual(["n1", "n1"]);
  });

  it("finishes the reconcile in flight when drained", async () => {
    let finished = false;
    const queue = new WorkQueue();
    const metrics = new ControllerMetrics({ networkHealths: () => [], apiServices: () => [] });
    const loop = new ReconcileLoop({
      queue, metrics, logger: silent, reportTerminal: async () => undefined,
      reconcile: async () => {
        await sleep(50);
        finished = true;
        return { wrote: true };
      },
    });
    loop.start();
    queue.add("n1");
    await sleep(10);
    queue.shutDown();
    await loop.drain();
    expect(finished).toBe(true);
  });
});
