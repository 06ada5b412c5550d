import { describe, expect, it } from "@jest/globals";
import type { KubernetesObject } from "@kubernetes/client-node";
import { trimForCache, trimNodeForCache } from "../../../src/k8s/cache-trim.js";

const managedFields = [{ manager: "kubelet", operation: "Update", fieldsV1: { "f:status": {} } }];
const nodeStatus = {
  nodeInfo: { kubeletVersion: "v1.29.1+k0s" }, addresses: [{ type: "InternalIP", address: "192.168.1.42" }],
  conditions: [{ type: "Ready", status: "True" }], images: [{ names: ["docker.io/library/nginx:1"], sizeBytes: 1 }],
  volumesInUse: ["kubernetes.io/csi/x"], volumesAttached: [{ name: "x", devicePath: "" }],
};

describe("trimForCache", () => {
  it.each([
    { case: "a watched Node (kind set)", object: { kind: "Node", metadata: { name: "n", managedFields }, status: nodeStatus } },
    { case: "a listed Node (list items carry no kind)", object: { metadata: { name: "n", managedFields }, status: nodeStatus } },
  ])("$case loses managedFields, images and volume lists, keeps what the controller reads", ({ object }) => {
    const trimmed = trimNodeForCache(object as KubernetesObject) as typeof object;
    expect(trimmed.metadata).toEqual({ name: "n" });
    expect(trimmed.status).toEqual({ nodeInfo: nodeStatus.nodeInfo, addresses: nodeStatus.addresses, conditions: nodeStatus.conditions });
    expect(object.metadata.managedFields).toBe(managedFields);
    expect(object.status.images).toHaveLength(1);
  });

  it("a Pod or NetworkHealth keeps spec and status, only managedFields go", () => {
    const pod = { kind: "Pod", metadata: { name: "p", namespace: "kube-system", managedFields, labels: { a: "b" } }, spec: { nodeName: "n" }, status: { phase: "Running" } };
    expect(trimForCache(pod as KubernetesObject)).toEqual({ ...pod, metadata: { name: "p", namespace: "kube-system", labels: { a: "b" } } });
  });
});
