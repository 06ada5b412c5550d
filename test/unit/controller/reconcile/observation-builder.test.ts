import { describe, expect, it } from "@jest/globals";
import { ObservationBuilder } from "../../../../src/controller/reconcile/observation-builder.js";
import { buildObservation, clusterRemediationState, DEFAULT_POLICY, otherRemediations, reconcileNode } from "../../../../src/core/index.js";
import { NO_AGENT_MESSAGE, NO_ROUTE_LINE, NOW, health, k0sBrokenFacts, konnectivityPod, metricsAPIService, node } from "../../../fixtures/cluster.js";

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

  const at = (version: number, items: readonly object[]) => ({ version, list: () => items });
  const inputs = (name: string, version = 1, parts = sources) => ({
    nodes: at(version, parts.nodes), apiServices: at(version, parts.apiServices), konnectivityPods: at(version, parts.konnectivityPods), probePods: at(version, []),
    logs: { version, snapshot: () => parts.logs }, kubernetesEndpoints: endpoints, health: parts.networkHealths.find((h) => h.metadata.name === name),
  });
  const whole = () => buildObservation({ ...sources, now: new Date(NOW).toISOString(), konnectivityPods: sources.konnectivityPods });

  it("builds exactly what core's buildObservation builds from the same objects, scoped to the node's own NetworkHealth", () => {
    const full = whole();
    const scoped = new ObservationBuilder().buildForNode("worker", inputs("worker"), new Date(NOW));
    const nodesByName = new Map(full.nodes.map((view) => [view.name, view]));
    expect(scoped).toEqual({ ...full, nodesByName, probeEndpoints: {}, networkHealth: { worker: full.networkHealth["worker"] } });
  });

  it("reuses the views of unchanged objects and rebuilds those of replaced ones", () => {
    const builder = new ObservationBuilder();
    const first = builder.buildForNode("worker", inputs("worker", 1), new Date(NOW));
    const second = builder.buildForNode("worker", inputs("worker", 2), new Date(NOW));
    expect(second.nodes[0]).toBe(first.nodes[0]);
    expect(second.konnectivityAgents[0]).toBe(first.konnectivityAgents[0]);
    const replaced = { ...sources, nodes: [node("controller", "192.168.1.41"), sources.nodes[1] as object], logs: { ...sources.logs, "kube-system/konnectivity-agent-worker": { lines: [] } } };
    const third = builder.buildForNode("worker", inputs("worker", 3, replaced), new Date(NOW));
    expect(third.nodes[0]).not.toBe(first.nodes[0]);
    expect(third.nodes[0]).toEqual(first.nodes[0]);
    expect(third.nodes[1]).toBe(first.nodes[1]);
    expect(third.konnectivityAgents[0]?.logLines).toEqual([]);
  });

  it("buildForNode decides exactly as the whole-cluster Observation does, for every node", () => {
    const builder = new ObservationBuilder();
    for (const name of ["controller", "worker"]) {
      const full = whole();
      const scoped = builder.buildForNode(name, inputs(name), new Date(NOW));
      const others = () => otherRemediations(sources.networkHealths, name, () => true);
      const cluster = clusterRemediationState(others, full.now, DEFAULT_POLICY);
      expect(reconcileNode({ observation: scoped, node: name, policy: DEFAULT_POLICY, cluster })).toEqual(reconcileNode({ observation: full, node: name, policy: DEFAULT_POLICY }));
    }
  });

  it("buildForNode re-derives the cluster-wide parts only when a cache version moves", () => {
    const builder = new ObservationBuilder();
    let listed = 0;
    const counted = (version: number, items: readonly object[]) => ({ version, list: () => (listed += 1, items) });
    const input = (version: number) => ({
      nodes: counted(version, sources.nodes), apiServices: counted(1, sources.apiServices), konnectivityPods: counted(1, sources.konnectivityPods),
      probePods: counted(1, []), logs: { version: 1, snapshot: () => sources.logs }, health: undefined,
    });
    const first = builder.buildForNode("worker", input(1), new Date(NOW));
    const afterFirst = listed;
    const second = builder.buildForNode("controller", input(1), new Date(NOW));
    expect(listed).toBe(afterFirst);
    expect(second.nodes).toBe(first.nodes);
    builder.buildForNode("worker", input(2), new Date(NOW));
    expect(listed).toBe(afterFirst + 1);
  });
});
