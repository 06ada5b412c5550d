import { afterEach, describe, expect, it, jest } from "@jest/globals";
import type { NetworkHealth } from "../../../../src/api/index.js";
import { NetworkHealthOverlay } from "../../../../src/controller/reconcile/status-overlay.js";

const nh = (name: string, resourceVersion: string, uid = `uid-${name}`): NetworkHealth =>
  ({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name, uid, resourceVersion } });

describe("NetworkHealthOverlay", () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it("serves the written object while the cache is older, then the cache once it caught up", () => {
    const overlay = new NetworkHealthOverlay();
    const written = nh("n1", "120");
    overlay.remember(written);
    expect(overlay.resolve("n1", nh("n1", "99"))).toEqual(written);
    expect(overlay.resolve("n1", undefined)).toEqual(written);
    const caughtUp = nh("n1", "121");
    expect(overlay.resolve("n1", caughtUp)).toBe(caughtUp);
    expect(overlay.size).toBe(0);
    expect(overlay.resolve("n1", nh("n1", "99"))?.metadata.resourceVersion).toBe("99");
  });

  it("keeps a written object as the cache keeps it: without managedFields", () => {
    const overlay = new NetworkHealthOverlay();
    const managedFields = [{ manager: "netmedic-agent", operation: "Apply", fieldsType: "FieldsV1", fieldsV1: { "f:status": {} } }];
    // What the API returns: the declared ObjectMeta has no managedFields, the wire object does.
    const metadata = { ...nh("n1", "120").metadata, managedFields };
    overlay.remember({ ...nh("n1", "120"), metadata, status: { conditions: [] } });
    expect(overlay.resolve("n1", undefined)).toEqual({ ...nh("n1", "120"), status: { conditions: [] } });
    expect(metadata.managedFields).toBe(managedFields);
  });

  it("compares resourceVersions as integers, not strings", () => {
    const overlay = new NetworkHealthOverlay();
    overlay.remember(nh("n1", "1000"));
    expect(overlay.resolve("n1", nh("n1", "999"))?.metadata.resourceVersion).toBe("1000");
  });

  it("merges: written objects the cache has not seen yet are included, caught-up ones come from the cache", () => {
    const overlay = new NetworkHealthOverlay();
    overlay.remember(nh("new", "50"));
    overlay.remember(nh("old", "40"));
    const merged = overlay.merge([nh("old", "30"), nh("other", "10")]);
    expect(merged.map((o) => [o.metadata.name, o.metadata.resourceVersion]).sort()).toEqual([["new", "50"], ["old", "40"], ["other", "10"]]);
  });

  it("forgets a written object when the watch reports that object deleted, not another incarnation", () => {
    const overlay = new NetworkHealthOverlay();
    overlay.remember(nh("n1", "50", "uid-b"));
    overlay.forgetDeleted(nh("n1", "20", "uid-a"));
    expect(overlay.size).toBe(1);
    overlay.forgetDeleted(nh("n1", "55", "uid-b"));
    expect(overlay.resolve("n1", undefined)).toBeUndefined();
  });

  it("with non-numeric resourceVersions waits for equality, at most a minute", () => {
    jest.useFakeTimers();
    const overlay = new NetworkHealthOverlay();
    overlay.remember(nh("n1", "b"));
    expect(overlay.resolve("n1", nh("n1", "a"))?.metadata.resourceVersion).toBe("b");
    jest.advanceTimersByTime(61_000);
    expect(overlay.resolve("n1", nh("n1", "a"))?.metadata.resourceVersion).toBe("a");
  });
});
