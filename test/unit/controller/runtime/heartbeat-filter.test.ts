// Heartbeat-only NetworkHealth updates: recognised from the previous version's digest, and let
// through whenever they could change a verdict (agent not Reporting, an order in flight) or when
// anything but times moved.
import { describe, expect, it } from "@jest/globals";
import type { Condition, NetworkHealth, NetworkHealthStatus } from "../../../../src/api/index.js";
import { HeartbeatFilter } from "../../../../src/controller/runtime/heartbeat-filter.js";

const reporting: Condition = { type: "AgentReporting", status: "True", reason: "Reporting", message: "", lastTransitionTime: "2026-12-01T10:00:00Z" };

/** A NetworkHealth whose agent last reported at `at`, with `status` merged over a steady one. */
function version(at: string, resourceVersion: string, status: NetworkHealthStatus = {}): NetworkHealth {
  return {
    apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: "w1", resourceVersion, generation: 1 },
    status: {
      conditions: [reporting],
      facts: { collectedAt: at, distribution: "k0s", sysctl: { ipForward: 1 } },
      probes: [{ from: "Host", target: "10.0.0.1:8132", purpose: "Konnectivity", result: "ok", latencyMs: Number(resourceVersion) % 7, time: at }],
      agent: { heartbeatTime: at, version: "0.1.0", results: [] },
      remediation: { phase: "Idle" },
      ...status,
    },
  };
}

describe("HeartbeatFilter", () => {
  it("a version that moved only times (heartbeat, collection, probe time and latency, resourceVersion) needs no reconcile", () => {
    const filter = new HeartbeatFilter();
    expect(filter.heartbeatOnly(version("2026-12-01T10:00:00Z", "100"))).toBe(false);
    expect(filter.heartbeatOnly(version("2026-12-01T10:05:00Z", "101"))).toBe(true);
    expect(filter.heartbeatOnly(version("2026-12-01T10:10:00Z", "103"))).toBe(true);
  });

  it.each([
    ["a fact changed", { facts: { collectedAt: "2026-12-01T10:05:00Z", distribution: "k0s", sysctl: { ipForward: 0 } } }],
    ["a probe result changed", { probes: [{ from: "Host", target: "10.0.0.1:8132", purpose: "Konnectivity", result: "EHOSTUNREACH", time: "2026-12-01T10:05:00Z" }] }],
    ["an action result arrived", { agent: { heartbeatTime: "2026-12-01T10:05:00Z", version: "0.1.0", results: [{ orderId: "o1", action: "EnableIPForwarding", result: "Succeeded", time: "2026-12-01T10:05:00Z" }] } }],
  ] as Array<[string, NetworkHealthStatus]>)("%s: reconciled", (_case, status) => {
    const filter = new HeartbeatFilter();
    filter.heartbeatOnly(version("2026-12-01T10:00:00Z", "100"));
    expect(filter.heartbeatOnly(version("2026-12-01T10:05:00Z", "101", status))).toBe(false);
  });

  it.each([
    ["the agent was judged Stale (its report may make it Reporting again)", { conditions: [{ ...reporting, status: "False", reason: "Stale" }] }],
    ["an order is Pending (its confirmation waits for facts collected after it)", { remediation: { phase: "Pending", orderId: "o1" } }],
    ["an order is Applying", { remediation: { phase: "Applying", orderId: "o1" } }],
    ["the controller has written no verdict yet", { conditions: [] }],
  ] as Array<[string, NetworkHealthStatus]>)("a heartbeat while %s: reconciled", (_case, status) => {
    const filter = new HeartbeatFilter();
    filter.heartbeatOnly(version("2026-12-01T10:00:00Z", "100", status));
    expect(filter.heartbeatOnly(version("2026-12-01T10:05:00Z", "101", status))).toBe(false);
  });

  it("spec and metadata count; a forgotten (deleted) object starts afresh", () => {
    const filter = new HeartbeatFilter();
    filter.heartbeatOnly(version("2026-12-01T10:00:00Z", "100"));
    expect(filter.heartbeatOnly({ ...version("2026-12-01T10:05:00Z", "101"), spec: { remediation: "Observe" } })).toBe(false);
    filter.forget("w1");
    expect(filter.heartbeatOnly({ ...version("2026-12-01T10:10:00Z", "102"), spec: { remediation: "Observe" } })).toBe(false);
  });
});
