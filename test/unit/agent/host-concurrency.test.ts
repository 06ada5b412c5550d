// The bounded concurrency the facts round and OpenHostFirewall use: never more than the limit at
// once, queued tasks in call order, every task settled before a failure is thrown (so a rollback
// sees every change that landed), the first failure in task order, and an executor whose `run`
// queues while runInNetwork stays the executor's own.
import { describe, expect, it } from "@jest/globals";
import { limitedHost, settleAll } from "../../../src/agent/host-concurrency.js";
import type { HostCommandResult, HostExecutor } from "../../../src/agent/host-executor.js";

/** Tasks that finish when the test says so, recording start order and the most in flight. */
function gate() {
  const started: number[] = [];
  const release: Array<(fail?: boolean) => void> = [];
  let inFlight = 0;
  let most = 0;
  const task = (i: number) => () => new Promise<number>((resolve, reject) => {
    started.push(i);
    most = Math.max(most, ++inFlight);
    release[i] = (fail) => { inFlight -= 1; if (fail) reject(new Error(`task ${i} failed`)); else resolve(i); };
  });
  return { started, release, task, most: () => most };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("settleAll", () => {
  it("runs at most `limit` at once, the rest in call order, results in task order", async () => {
    const g = gate();
    const all = settleAll([0, 1, 2, 3, 4].map(g.task), 2);
    await tick();
    expect(g.started).toEqual([0, 1]);
    g.release[1]!();
    await tick();
    expect(g.started).toEqual([0, 1, 2]);
    for (const i of [0, 2, 3, 4]) { g.release[i]!(); await tick(); }
    expect(await all).toEqual([0, 1, 2, 3, 4]);
    expect(g.most()).toBe(2);
  });

  it("a failure does not stop the other tasks: all settle, then the first failure in task order is thrown", async () => {
    const g = gate();
    let settled = false;
    const all = settleAll([0, 1, 2].map(g.task), 3).finally(() => { settled = true; });
    await tick();
    g.release[2]!(true);
    g.release[1]!(true);
    await tick();
    expect(settled).toBe(false);
    g.release[0]!();
    await expect(all).rejects.toThrow("task 1 failed");
    expect(g.started).toEqual([0, 1, 2]);
  });

  it("frees the slot of a task that throws synchronously, and refuses a limit below 1", async () => {
    const g = gate();
    const all = settleAll([() => { throw new Error("sync"); }, g.task(1)], 1);
    await tick();
    expect(g.started).toEqual([1]);
    g.release[1]!();
    await expect(all).rejects.toThrow("sync");
    await expect(settleAll([async () => 1], 0)).rejects.toThrow(/concurrency/i);
    expect(() => limitedHost({} as HostExecutor, 0)).toThrow(/concurrency/i);
  });
});

describe("limitedHost", () => {
  it("queues run() beyond the limit and leaves runInNetwork and hostPid the executor's own", async () => {
    const g = gate();
    let next = 0;
    const host = {
      hostPid: 42,
      run: () => g.task(next++)().then(() => ({ code: 0, stdout: "", stderr: "", timedOut: false }) as HostCommandResult),
      runInNetwork: () => "own",
    } as unknown as HostExecutor;
    const limited = limitedHost(host, 2);
    const runs = [1, 2, 3].map(() => limited.run(["cat"]));
    await tick();
    expect(g.started).toEqual([0, 1]);
    g.release[0]!();
    await tick();
    expect(g.started).toEqual([0, 1, 2]);
    g.release[1]!();
    g.release[2]!();
    await Promise.all(runs);
    expect(g.most()).toBe(2);
    expect(limited.hostPid).toBe(42);
    expect(limited.runInNetwork(["/x"])).toBe("own");
  });
});
