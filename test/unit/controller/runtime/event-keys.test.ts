import { describe, expect, it } from "@jest/globals";
import { ALL_NODES, nodesForEvent, type WatchedResource } from "../../../../src/controller/runtime/event-keys.js";

describe("nodesForEvent", () => {
  it.each<[WatchedResource, object, string[] | typeof ALL_NODES]>([
    ["Node", { metadata: { name: "worker-1" } }, ["worker-1"]],
    ["NetworkHealth", { metadata: { name: "worker-1" } }, ["worker-1"]],
    ["KonnectivityPod", { metadata: { name: "konnectivity-agent-x7k2p" }, spec: { nodeName: "worker-1" } }, ["worker-1"]],
    ["KonnectivityPod", { metadata: { name: "konnectivity-agent-pending" }, spec: {} }, ALL_NODES],
    ["APIService", { metadata: { name: "v1beta1.metrics.k8s.io" } }, ALL_NODES],
    ["Endpoints", { metadata: { name: "kubernetes" } }, ALL_NODES],
    ["ConfigMap", { metadata: { name: "netmedic-config" } }, ALL_NODES],
    ["Node", { metadata: {} }, []],
  ])("%s %j → %p", (resource, object, expected) => {
    expect(nodesForEvent(resource, object)).toEqual(expected);
  });
});
