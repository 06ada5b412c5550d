import { afterEach, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { KonnectivityLogCache, type LogLines } from "../../../../src/controller/reconcile/konnectivity-logs.js";
import type { KubePod } from "../../../../src/core/index.js";

const pod = (name: string, nodeName: string | undefined, uid = `uid-${name}`): KubePod => ({ metadata: { namespace: "kube-system", name, uid }, spec: { nodeName } });

describe("KonnectivityLogCache", () => {
  const reads: string[] = [];
  const reader = async (namespace: string, name: string): Promise<LogLines> => {
    reads.push(`${namespace}/${name}`);
    return name === "broken" ? { lines: [], error: "logs unavailable: HTTP 404" } : { lines: [`line ${reads.length}`] };
  };
  beforeEach(() => {
    reads.length = 0;
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it("reads a pod's log once per TTL and keeps the same object (views memoize on it)", async () => {
    const cache = new KonnectivityLogCache(reader, 60_000);
    await cache.refresh([pod("a", "n1")]);
    const first = cache.snapshot()["kube-system/a"];
    await cache.refresh([pod("a", "n1")]);
    expect(reads).toEqual(["kube-system/a"]);
    expect(cache.snapshot()["kube-system/a"]).toBe(first);
    jest.advanceTimersByTime(60_000);
    await cache.refresh([pod("a", "n1")]);
    expect(reads).toEqual(["kube-system/a", "kube-system/a"]);
    expect(cache.snapshot()["kube-system/a"]).toEqual({ lines: ["line 2"] });
  });

  it("re-reads a recreated pod (new uid) at once", async () => {
    const cache = new KonnectivityLogCache(reader, 60_000);
    await cache.refresh([pod("a", "n1", "one")]);
    await cache.refresh([pod("a", "n1", "two")]);
    expect(reads).toHaveLength(2);
  });

  it("keeps an unreadable log as an error and never reads an unscheduled pod", async () => {
    const cache = new KonnectivityLogCache(reader, 60_000);
    await cache.refresh([pod("broken", "n1"), pod("pending", undefined)]);
    expect(reads).toEqual(["kube-system/broken"]);
    expect(cache.snapshot()).toEqual({
      "kube-system/broken": { lines: [], error: "logs unavailable: HTTP 404" },
      "kube-system/pending": { lines: [], error: "pod is not scheduled" },
    });
  });

  it("forgets pods that are gone", async () => {
    const cache = new KonnectivityLogCache(reader, 60_000);
    await cache.refresh([pod("a", "n1"), pod("b", "n2")]);
    cache.retain(() => [pod("b", "n2")], 1);
    expect(Object.keys(cache.snapshot())).toEqual(["kube-system/b"]);
    // The same pods version again: nothing is listed.
    cache.retain(() => { throw new Error("listed again"); }, 1);
  });
});
