import { describe, expect, it } from "@jest/globals";
import type { ProbeResult } from "../../../src/api/index.js";
import { latestProbe } from "../../../src/core/findings.js";

const probe = (from: ProbeResult["from"], purpose: ProbeResult["purpose"], time: string, result: ProbeResult["result"] = "ok"): ProbeResult =>
  ({ from, purpose, result, target: "192.168.1.41:8132", time });

describe("latestProbe", () => {
  it.each<[string, ProbeResult[], ProbeResult | undefined]>([
    ["none at all", [], undefined],
    ["only other origins and purposes", [probe("Host", "Konnectivity", "2026-11-23T10:00:00Z"), probe("Pod", "ConfiguredServer", "2026-11-23T10:00:09Z")], undefined],
    ["the newest of several, in any order", [
      probe("Pod", "Konnectivity", "2026-11-23T10:00:05Z", "timeout"), probe("Pod", "Konnectivity", "2026-11-23T10:00:09Z"),
      probe("Pod", "Konnectivity", "2026-11-23T10:00:01Z", "refused")], probe("Pod", "Konnectivity", "2026-11-23T10:00:09Z")],
    ["an instant, not text: .5 s later sorts first as text", [
      probe("Pod", "Konnectivity", "2026-11-23T10:00:00.500Z", "timeout"), probe("Pod", "Konnectivity", "2026-11-23T10:00:00Z")],
      probe("Pod", "Konnectivity", "2026-11-23T10:00:00.500Z", "timeout")],
    ["the same instant in another zone", [
      probe("Pod", "Konnectivity", "2026-11-23T11:00:01+01:00", "refused"), probe("Pod", "Konnectivity", "2026-11-23T10:00:00Z")],
      probe("Pod", "Konnectivity", "2026-11-23T11:00:01+01:00", "refused")],
    ["the later in the list on a tie", [
      probe("Pod", "Konnectivity", "2026-11-23T10:00:00Z", "timeout"), probe("Pod", "Konnectivity", "2026-11-23T10:00:00Z")],
      probe("Pod", "Konnectivity", "2026-11-23T10:00:00Z")],
  ])("%s", (_name, probes, expected) => {
    expect(latestProbe(probes, "Pod", "Konnectivity")).toEqual(expected);
  });
});
