import { describe, expect, it } from "@jest/globals";
import type { KubernetesObject } from "@kubernetes/client-node";
import { trimForCache, trimLeaseForCache, trimNodeForCache, trimPodForCache } from "../../../src/k8s/cache-trim.js";
import { konnectivityAgentView } from "../../../src/core/index.js";
import { nodesForEvent } from "../../../src/controller/runtime/event-keys.js";
import { probeEndpointsByNode } from "../../../src/controller/workloads/workloads.js";

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

describe("trimPodForCache", () => {
  // A konnectivity-agent DaemonSet pod as a k0s cluster serves it (abridged only in repetition).
  const pod = {
    apiVersion: "v1", kind: "Pod",
    metadata: {
      name: "konnectivity-agent-x7k2p", namespace: "kube-system", uid: "u1", resourceVersion: "42", managedFields,
      labels: { "k8s-app": "konnectivity-agent", "controller-revision-hash": "5d8f", "pod-template-generation": "1" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "konnectivity-agent", uid: "ds", controller: true }],
    },
    spec: {
      nodeName: "worker-1", serviceAccountName: "konnectivity-agent", priorityClassName: "system-cluster-critical",
      containers: [{
        name: "konnectivity-agent", image: "quay.io/k0sproject/apiserver-network-proxy-agent:0.0.32", command: ["/proxy-agent"],
        args: ["--proxy-server-host=192.168.1.41", "--proxy-server-port=8132"],
        env: [{ name: "NODE_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } }],
        volumeMounts: [{ name: "konnectivity-agent-token", mountPath: "/var/run/secrets/tokens" }],
      }],
      volumes: [{ name: "konnectivity-agent-token", projected: { sources: [{ serviceAccountToken: { path: "konnectivity-agent-token", audience: "system:konnectivity-server" } }] } }],
      tolerations: [{ operator: "Exists" }, { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["worker-1"] }] }] } } },
    },
    status: {
      phase: "Running", hostIP: "192.168.1.42", podIP: "10.244.0.7", podIPs: [{ ip: "10.244.0.7" }], qosClass: "BestEffort",
      conditions: [{ type: "Ready", status: "True" }, { type: "PodScheduled", status: "True" }],
      containerStatuses: [{ name: "konnectivity-agent", ready: true, restartCount: 0, image: "x", imageID: "y", containerID: "containerd://z", state: { running: { startedAt: "2026-11-23T09:00:00Z" } } }],
    },
  };

  it("keeps metadata (without managedFields), node, container command/args, phase, pod IP and conditions", () => {
    const trimmed = trimPodForCache(pod as KubernetesObject) as typeof pod;
    const { managedFields: _dropped, ...metadata } = pod.metadata;
    expect(trimmed).toEqual({
      apiVersion: "v1", kind: "Pod", metadata,
      spec: { nodeName: "worker-1", containers: [{ name: "konnectivity-agent", command: ["/proxy-agent"], args: pod.spec.containers[0]?.args }] },
      status: { phase: "Running", podIP: "10.244.0.7", conditions: pod.status.conditions },
    });
    expect(JSON.stringify(trimmed).length).toBeLessThan(JSON.stringify(pod).length / 2);
    expect(pod.status.containerStatuses).toHaveLength(1);
  });

  it("everything the controller derives from a pod is the same before and after the trim", () => {
    const trimmed = trimPodForCache(pod as KubernetesObject) as typeof pod;
    expect(konnectivityAgentView(trimmed, ["line"])).toEqual(konnectivityAgentView(pod, ["line"]));
    const probePod = { ...pod, metadata: { ...pod.metadata, labels: { "app.kubernetes.io/component": "probe" } } };
    expect(probeEndpointsByNode([trimPodForCache(probePod as KubernetesObject) as typeof pod], 8093)).toEqual(probeEndpointsByNode([probePod], 8093));
    expect(probeEndpointsByNode([probePod], 8093)).toEqual({ "worker-1": "10.244.0.7:8093" });
    expect(nodesForEvent("KonnectivityPod", trimmed)).toEqual(nodesForEvent("KonnectivityPod", pod));
  });

  it("a pod without spec or status stays without them", () => {
    expect(trimPodForCache({ metadata: { name: "p", managedFields } } as KubernetesObject)).toEqual({ apiVersion: undefined, kind: undefined, metadata: { name: "p" } });
  });
});

describe("trimLeaseForCache", () => {
  const lease = (renewTime: Date | string | undefined) => ({
    apiVersion: "coordination.k8s.io/v1", kind: "Lease",
    metadata: { name: "worker-1", namespace: "netmedic-node-lease", uid: "u1", resourceVersion: "42", labels: { "app.kubernetes.io/name": "netmedic" }, managedFields },
    spec: { holderIdentity: "worker-1", leaseDurationSeconds: 750, ...(renewTime === undefined ? {} : { renewTime }) },
  });

  it.each([
    { case: "renewTime as the wire's MicroTime string", renewTime: "2026-12-04T17:00:00.123456Z", kept: "2026-12-04T17:00:00.123456Z" },
    { case: "renewTime decoded as a Date (client-node's declared V1MicroTime)", renewTime: new Date("2026-12-04T17:00:00.123Z"), kept: "2026-12-04T17:00:00.123Z" },
  ])("$case keeps its identity and renewTime as a string, nothing else", ({ renewTime, kept }) => {
    expect(trimLeaseForCache(lease(renewTime) as KubernetesObject)).toEqual({
      apiVersion: "coordination.k8s.io/v1", kind: "Lease",
      metadata: { name: "worker-1", namespace: "netmedic-node-lease", uid: "u1", resourceVersion: "42" }, spec: { renewTime: kept },
    });
  });

  it("a Lease never renewed keeps an empty spec; what the router keys on is kept", () => {
    const trimmed = trimLeaseForCache(lease(undefined) as KubernetesObject) as KubernetesObject & { spec?: object };
    expect(trimmed.spec).toEqual({});
    expect(nodesForEvent("AgentLease", trimmed)).toEqual(["worker-1"]);
  });
});

