/** The probe targets' annotation: canonical encoding, strict decoding. */
import { describe, expect, it } from "@jest/globals";
import type { ProbeTargets } from "../../../src/api/index.js";
import { PROBE_TARGETS_ANNOTATION } from "../../../src/api/index.js";
import { decodeProbeTargets, encodeProbeTargets, storedProbeTargets } from "../../../src/core/index.js";

describe("encodeProbeTargets", () => {
  it.each<[string, ProbeTargets, string]>([
    ["nothing known", {}, "{}"],
    ["empty parts left out", { konnectivity: [], apiServers: [], probeEndpoint: "" }, "{}"],
    ["fixed key order whatever the input's", { probeEndpoint: "10.244.0.7:8099", apiServers: ["192.168.1.41:6443"], konnectivity: ["192.168.1.41:8132"] },
      '{"konnectivity":["192.168.1.41:8132"],"apiServers":["192.168.1.41:6443"],"probeEndpoint":"10.244.0.7:8099"}'],
  ])("%s", (_name, targets, encoded) => {
    expect(encodeProbeTargets(targets)).toBe(encoded);
    expect(decodeProbeTargets(encoded)).toEqual({ targets: JSON.parse(encoded) });
  });
});

describe("decodeProbeTargets", () => {
  it("an absent annotation is nothing to probe yet, not an error", () => {
    expect(decodeProbeTargets(undefined)).toEqual({ targets: {} });
  });

  it.each([
    ["not JSON", "konnectivity=1.2.3.4:8132", /annotation netmedic\.io\/probe-targets refused: .*JSON/],
    ["a list", '["1.2.3.4:8132"]', /not a JSON object/],
    ["null", "null", /not a JSON object/],
    ["a string for a list", '{"konnectivity":"1.2.3.4:8132"}', /konnectivity must be a list of strings/],
    ["a number in a list", '{"apiServers":["1.2.3.4:6443",6443]}', /apiServers must be a list of strings/],
    ["a list for the endpoint", '{"probeEndpoint":["10.0.0.1:1"]}', /probeEndpoint must be a string/],
    ["an unknown key", '{"konnectivity":[],"command":"rm -rf /"}', /unknown keys command/],
  ])("refuses %s as a whole, saying why", (_name, value, reason) => {
    const decoded = decodeProbeTargets(value);
    expect(decoded.targets).toBeUndefined();
    expect(decoded.error).toMatch(reason);
  });

  it("reads the annotation off a NetworkHealth", () => {
    const health = { apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: "w1", annotations: { [PROBE_TARGETS_ANNOTATION]: "{}" } } };
    expect(storedProbeTargets(health)).toBe("{}");
    expect(storedProbeTargets({ ...health, metadata: { name: "w1" } })).toBeUndefined();
    expect(storedProbeTargets(undefined)).toBeUndefined();
  });
});
