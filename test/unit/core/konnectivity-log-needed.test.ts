import { describe, expect, it } from "@jest/globals";
import type { ProbeResult } from "../../../src/api/index.js";
import { konnectivityLogNeeded } from "../../../src/core/index.js";

const NOW = "2026-11-23T12:00:00Z";
const probe = (from: ProbeResult["from"], result: string, secondsAgo: number, purpose: ProbeResult["purpose"] = "Konnectivity"): ProbeResult =>
  ({ from, purpose, target: "192.168.1.41:8132", result, time: new Date(Date.parse(NOW) - secondsAgo * 1000).toISOString() });

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
    expect(konnectivityLogNeeded(probes, NOW, 120)).toBe(needed);
  });
});
