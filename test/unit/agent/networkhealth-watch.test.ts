// The agent's list + watch of its own NetworkHealth against a scripted API: it resumes from the last
// resourceVersion (bookmarks included) when the server ends a watch, relists on 410 (an ERROR event
// or an HTTP 410), backs off on errors, and a store woken by an order returns at once.
import { describe, expect, it } from "@jest/globals";
import { pino } from "pino";
import type { NetworkHealth } from "../../../src/api/index.js";
import type { NetworkHealthEvent, OneObjectList, WatchOptions } from "../../../src/k8s/light/agent-api-client.js";
import { Backoff } from "../../../src/agent/backoff.js";
import { NetworkHealthWatch, type NetworkHealthWatchApi } from "../../../src/agent/networkhealth-watch.js";
import { WatchedNetworkHealthStore } from "../../../src/agent/watched-store.js";

const object = (resourceVersion: string, orderId?: string): NetworkHealth => ({
  apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: "w1", resourceVersion },
  status: orderId ? { remediation: { phase: "Pending", orderId, actions: [{ action: "EnableIPForwarding" }] } } : {},
});
const event = (type: NetworkHealthEvent["type"], value: NetworkHealth | Record<string, unknown>): NetworkHealthEvent => ({ type, object: value as NetworkHealthEvent["object"] });

/** One scripted watch request: the events it delivers, then how it ends. */
interface Step { events: NetworkHealthEvent[]; end?: "close" | Error | "hang" }

/** An API whose lists return `lists` in turn and whose watches play `steps` in turn; records every call. */
function scripted(lists: OneObjectList[], steps: Step[]) {
  const calls: string[] = [];
  const api: NetworkHealthWatchApi = {
    listOne: async () => {
      calls.push("list");
      const next = lists.shift();
      if (!next) throw new Error("no more lists");
      return next;
    },
    watchOne: async (_name, resourceVersion, onEvent, options: WatchOptions) => {
      calls.push(`watch@${resourceVersion}`);
      const step = steps.shift() ?? { events: [], end: "hang" };
      for (const e of step.events) onEvent(e);
      if (step.end instanceof Error) throw step.end;
      if (step.end === "hang" && !options.signal.aborted) await new Promise<void>((resolve) => options.signal.addEventListener("abort", () => resolve(), { once: true }));
    },
  };
  return { api, calls };
}

const quiet = pino({ level: "silent" });
const fastBackoff = () => new Backoff(10, 40, () => 0.5);

async function runFor(watch: NetworkHealthWatch, ms: number): Promise<void> {
  const stop = new AbortController();
  const running = watch.run(stop.signal);
  await new Promise((r) => setTimeout(r, ms));
  stop.abort();
  await running;
}

describe("NetworkHealthWatch", () => {
  it("lists once, then resumes each watch from the last resourceVersion seen (events and bookmarks)", async () => {
    const { api, calls } = scripted([{ object: object("10"), resourceVersion: "12" }], [
      { events: [event("MODIFIED", object("13"))], end: "close" },
      { events: [event("BOOKMARK", { metadata: { resourceVersion: "20" } })], end: "close" },
      { events: [], end: "hang" },
    ]);
    const watch = new NetworkHealthWatch(api, "w1", quiet, { backoff: fastBackoff() });
    await runFor(watch, 50);
    expect(calls).toEqual(["list", "watch@12", "watch@13", "watch@20"]);
    expect(watch.peek()?.metadata.resourceVersion).toBe("13");
    expect(watch.lists).toBe(1);
  });

  it.each([
    ["an ERROR event with code 410", { events: [event("ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 12 (30)" })] }],
    ["an HTTP 410 answer", { events: [], end: Object.assign(new Error("HTTP 410: Gone"), { code: 410 }) }],
  ])("%s: lists again at once and holds the current object (an order written meanwhile)", async (_case, gone: Step) => {
    const { api, calls } = scripted([{ object: object("10"), resourceVersion: "12" }, { object: object("31", "w1-o1"), resourceVersion: "35" }], [
      { events: [], end: "close" }, gone, { events: [], end: "hang" },
    ]);
    const watch = new NetworkHealthWatch(api, "w1", quiet, { backoff: fastBackoff() });
    await runFor(watch, 50);
    expect(calls).toEqual(["list", "watch@12", "watch@12", "list", "watch@35"]);
    expect(watch.peek()?.status?.remediation?.orderId).toBe("w1-o1");
  });

  it("a broken connection (apiserver restart) is retried from the same resourceVersion after a backoff, without a list", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" });
    const { api, calls } = scripted([{ object: object("10"), resourceVersion: "12" }], [
      { events: [event("MODIFIED", object("14"))], end: Object.assign(new Error("stream cut"), { code: "ECONNRESET" }) },
      { events: [], end: refused }, { events: [event("MODIFIED", object("15", "w1-o2"))], end: "hang" },
    ]);
    const watch = new NetworkHealthWatch(api, "w1", quiet, { backoff: fastBackoff() });
    await runFor(watch, 120);
    expect(calls).toEqual(["list", "watch@12", "watch@14", "watch@14"]);
    expect(watch.peek()?.status?.remediation?.orderId).toBe("w1-o2");
  });

  it("current() waits for the first list; a DELETED event then leaves no object", async () => {
    const { api } = scripted([{ object: object("10"), resourceVersion: "12" }], [{ events: [event("DELETED", object("13"))], end: "hang" }]);
    const watch = new NetworkHealthWatch(api, "w1", quiet);
    const stop = new AbortController();
    const running = watch.run(stop.signal);
    expect((await watch.current())?.metadata.resourceVersion).toBe("10");
    await new Promise((r) => setTimeout(r, 10));
    expect(watch.peek()).toBeUndefined();
    stop.abort();
    await running;
  });
});

describe("WatchedNetworkHealthStore.waitForChange", () => {
  it("returns as soon as a version it wants arrives, and at once when the latest one already is", async () => {
    let push: ((e: NetworkHealthEvent) => void) | undefined;
    const api = {
      listOne: async () => ({ object: object("10"), resourceVersion: "10" }),
      watchOne: async (_n: string, _rv: string, onEvent: (e: NetworkHealthEvent) => void, options: WatchOptions) => {
        push = onEvent;
        await new Promise<void>((resolve) => options.signal.addEventListener("abort", () => resolve(), { once: true }));
      },
      applyStatus: async () => undefined,
    };
    const store = new WatchedNetworkHealthStore(api, "w1", quiet);
    const stop = new AbortController();
    const following = store.follow(stop.signal);
    await store.get();
    const wantsOrder = (h: NetworkHealth) => h.status?.remediation?.orderId !== undefined;
    setTimeout(() => push?.(event("MODIFIED", object("11"))), 10);
    setTimeout(() => push?.(event("MODIFIED", object("12", "w1-o1"))), 30);
    const started = Date.now();
    expect(await store.waitForChange(5000, stop.signal, wantsOrder)).toBe(true);
    expect(Date.now() - started).toBeLessThan(500);
    expect(await store.waitForChange(5000, stop.signal, wantsOrder)).toBe(true);
    expect(await store.waitForChange(20, stop.signal, () => false)).toBe(false);
    stop.abort();
    await following;
  });
});

describe("a silently dead watch is found by the agent's own writes", () => {
  /** A store whose watch delivers only what the test pushes, and whose applies answer with the given versions. */
  function storeWith(versions: string[]) {
    let push: ((e: NetworkHealthEvent) => void) | undefined;
    const watches: string[] = [];
    const api = {
      listOne: async () => ({ object: object("10"), resourceVersion: "10" }),
      watchOne: async (_n: string, rv: string, onEvent: (e: NetworkHealthEvent) => void, options: WatchOptions) => {
        watches.push(`watch@${rv}`);
        push = onEvent;
        await new Promise<void>((resolve) => options.signal.addEventListener("abort", () => resolve(), { once: true }));
      },
      applyStatus: async () => object(versions.shift() ?? "0"),
    };
    const store = new WatchedNetworkHealthStore(api, "w1", quiet, { deliveryGraceMs: 40, backoff: fastBackoff() });
    return { store, watches, push: (e: NetworkHealthEvent) => push?.(e) };
  }

  it.each([
    ["the write's event arrives after its response", "after", 0, ["watch@10"]],
    ["the write's event arrived before its response", "before", 0, ["watch@10"]],
    ["the write never comes back (a connection dropped without a reset)", "never", 1, ["watch@10", "watch@10"]],
  ])("%s", async (_case, when, restarts, watches) => {
    const fake = storeWith(["11"]);
    const stop = new AbortController();
    const following = fake.store.follow(stop.signal);
    await fake.store.get();
    await new Promise((r) => setTimeout(r, 5)); // the watch request is open
    if (when === "before") fake.push(event("MODIFIED", object("11")));
    await fake.store.applyStatus("w1", {});
    if (when === "after") setTimeout(() => fake.push(event("MODIFIED", object("11"))), 10);
    await new Promise((r) => setTimeout(r, 120));
    expect(fake.store.watch.silentRestarts).toBe(restarts);
    expect(fake.watches).toEqual(watches);
    stop.abort();
    await following;
  });

  it("each miss doubles the grace until a write comes back in time (a slow apiserver is not handed a new watch per write)", async () => {
    const fake = storeWith(["11", "12", "13"]);
    const stop = new AbortController();
    const following = fake.store.follow(stop.signal);
    await fake.store.get();
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await fake.store.applyStatus("w1", {});
    await wait(60);
    expect(fake.store.watch.silentRestarts).toBe(1);
    await fake.store.applyStatus("w1", {});
    await wait(60);
    expect(fake.store.watch.silentRestarts).toBe(1); // grace now 80 ms
    await wait(40);
    expect(fake.store.watch.silentRestarts).toBe(2);
    await fake.store.applyStatus("w1", {});
    fake.push(event("MODIFIED", object("13"))); // in time: the grace is 40 ms again
    await fake.store.applyStatus("w1", {});
    await wait(60);
    expect(fake.store.watch.silentRestarts).toBe(3);
    stop.abort();
    await following;
  });

  it("a newer write's expectation replaces an older one: delivering the newer version settles both", async () => {
    const fake = storeWith(["11", "12"]);
    const stop = new AbortController();
    const following = fake.store.follow(stop.signal);
    await fake.store.get();
    await fake.store.applyStatus("w1", {});
    await fake.store.applyStatus("w1", {});
    fake.push(event("MODIFIED", object("12")));
    await new Promise((r) => setTimeout(r, 120));
    expect(fake.store.watch.silentRestarts).toBe(0);
    stop.abort();
    await following;
  });
});
