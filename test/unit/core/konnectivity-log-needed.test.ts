import { describe, expect, it } from "@jest/globals";
import type { NetworkHealth, ProbeResult } from "../../../src/api/index.js";
import { konnectivityLogNeeded } from "../../../src/core/index.js";

const NOW = "2026-11-23T12:00:00Z";
const probe = (from: ProbeResult["from"], result: string, secondsAgo: number, purpose: ProbeResult["purpose"] = "Konnectivity"): ProbeResult =>
  ({ from, purpose, target: "192.168.1.41:8132", result, time: new Date(Date.parse(NOW) - secondsAgo * 1000).toISOString() });

/** A NetworkHealth whose agent reported `probes` (heartbeat now). */
const reported = (probes: ProbeResult[]): NetworkHealth =>
  ({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: "w" }, status: { probes, agent: { heartbeatTime: NOW } } });

describe("konnectivityLogNeeded", () => {
  it.each([
    { case: "no probe at all", probes: [], needed: true },
    { case: "only a host-network probe", probes: [probe("Host", "ok", 5)], needed: true },
    { case: "a fresh pod-network probe that connected", probes: [probe("Pod", "ok", 5)], needed: false },
    { case: "a fresh pod-network probe that failed (EHOSTUNREACH decides too)", probes: [probe("Pod", "EHOSTUNREACH", 5)], needed: false },
    { case: "the probe pod was unavailable", probes: [probe("Pod", "EPROBEUNAVAILABLE", 5)], needed: true },
    { case: "a pod-network probe older than staleAfterSeconds", probes: [probe("Pod", "ok", 121)], needed: true },
    { case: "a fresh pod-network probe of the apiserver, not konnectivity", probes: [probe("Pod", "ok", 5, "APIServer")], needed: true },
    { case: "the latest of two probes counts", probes: [probe("Pod", "ok", 5), probe("Pod", "EPROBEUNAVAILABLE", 1)], needed: true },
  ])("$case → $needed", ({ probes, needed }) => {
    expect(konnectivityLogNeeded(reported(probes), NOW, 120)).toBe(needed);
  });

  it.each([
    { case: "a NetworkHealth created 10 s ago whose agent has not reported: not yet", age: 10, needed: false },
    { case: "created 130 s ago and still no report: the log is the only evidence left", age: 130, needed: true },
  ])("$case", ({ age, needed }) => {
    const created = new Date(Date.parse(NOW) - age * 1000).toISOString();
    const fresh: NetworkHealth = { apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: "w", creationTimestamp: created } };
    expect(konnectivityLogNeeded(fresh, NOW, 120)).toBe(needed);
  });
});
