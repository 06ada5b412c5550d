import { describe, expect, it } from "@jest/globals";
import { ObservationBuilder } from "../../../src/controller/observation-builder.js";
import { buildObservation } from "../../../src/core/index.js";
import { NO_AGENT_MESSAGE, NO_ROUTE_LINE, NOW, health, k0sBrokenFacts, konnectivityPod, metricsAPIService, node } from "../../fixtures/cluster.js";

const endpoints = { metadata: { name: "kubernetes", namespace: "default" }, subsets: [{ addresses: [{ ip: "192.168.1.41" }], ports: [{ name: "https", port: 6443 }] }] };

describe("ObservationBuilder", () => {
  const sources = {
    nodes: [node("controller", "192.168.1.41"), node("worker", "192.168.1.42")],
    apiServices: [metricsAPIService("False", "FailedDiscoveryCheck", NO_AGENT_MESSAGE)],
    konnectivityPods: [konnectivityPod("worker")],
    kubernetesEndpoints: endpoints,
    networkHealths: [health("worker", { facts: k0sBrokenFacts() })],
    logs: { "kube-system/konnectivity-agent-worker": { lines: [NO_ROUTE_LINE] }, "kube-system/gone": { lines: [], error: "logs unavailable: HTTP 404" } },
  };

  it("builds exactly what core's buildObservation builds from the same objects", () => {
    const built = new ObservationBuilder().build(sources, new Date(NOW));
    expect(built).toEqual(buildObservation({ ...sources, now: new Date(NOW).toISOString(), konnectivityPods: sources.konnectivityPods }));
  });

  it("reuses the views of unchanged objects and rebuilds those of replaced ones", () => {
    const builder = new ObservationBuilder();
    const first = builder.build(sources, new Date(NOW));
    const second = builder.build(sources, new Date(NOW));
    expect(second.nodes[0]).toBe(first.nodes[0]);
    expect(second.konnectivityAgents[0]).toBe(first.konnectivityAgents[0]);
    const replaced = { ...sources, nodes: [node("controller", "192.168.1.41"), sources.nodes[1] as object], logs: { ...sources.logs, "kube-system/konnectivity-agent-worker": { lines: [] } } };
    const third = builder.build(replaced, new Date(NOW));
    expect(third.nodes[0]).not.toBe(first.nodes[0]);
    expect(third.nodes[0]).toEqual(first.nodes[0]);
    expect(third.nodes[1]).toBe(first.nodes[1]);
    expect(third.konnectivityAgents[0]?.logLines).toEqual([]);
  });
});
