// The agent DaemonSet carries the dead-man switch's state directory: a hostPath the checkpoint
// outlives the pod in, mounted at the same path and passed as --state-dir (docs/architecture.md §4).
import { describe, expect, it } from "@jest/globals";
import { AGENT_STATE_DIR, agentDaemonSet, probeDaemonSet } from "../../../../src/controller/workloads/workloads.js";

const settings = {
  namespace: "netmedic", image: "netmedic:test", probePort: 9465,
  agent: { heartbeatSeconds: 300, tolerations: [{ operator: "Exists" }], resources: {} },
} as unknown as Parameters<typeof agentDaemonSet>[0];

describe("agent DaemonSet state directory", () => {
  it("mounts /var/lib/netmedic from the host (DirectoryOrCreate) and passes it as --state-dir", () => {
    const spec = agentDaemonSet(settings).spec?.template.spec;
    expect(AGENT_STATE_DIR).toBe("/var/lib/netmedic");
    expect(spec?.volumes).toContainEqual({ name: "state", hostPath: { path: "/var/lib/netmedic", type: "DirectoryOrCreate" } });
    expect(spec?.containers[0]?.volumeMounts).toContainEqual({ name: "state", mountPath: "/var/lib/netmedic" });
    expect(spec?.containers[0]?.args?.at(-1)).toBe("--state-dir=/var/lib/netmedic");
  });

  it("the probe gets no host path", () => {
    expect(probeDaemonSet(settings).spec?.template.spec?.volumes ?? []).toEqual([]);
  });
});
