// NetworkManager in the core: the NetworkManager verdict from NM's configuration (CNI link names
// left unmanaged, nm-cloud-setup off), the spec forms NM understands, the UnmanageCNILinks plan, and
// the action under the remediation policy like every other.
import { describe, expect, it } from "@jest/globals";
import type { HostFacts, NetworkHealthStatus, NetworkManagerFacts, RemediationStatus } from "../../../src/api/index.js";
import { DEFAULT_POLICY, diagnoseNode, reconcileNode, type RemediationPolicy } from "../../../src/core/index.js";
import { CNI_LINK_SPECS, managedCNISpecs, specCovers } from "../../../src/core/checks-network-manager.js";
import { health, healthyFacts, konnectivityPod, node, observe, probe } from "../../fixtures/cluster.js";

const W = "agent-1";
const ALL = CNI_LINK_SPECS.map(([spec]) => spec);
const nm = (state: NetworkManagerFacts["state"], unmanagedDevices: string[] = [], cloudSetupEnabled: string[] = []): NetworkManagerFacts => ({ state, unmanagedDevices, cloudSetupEnabled });
const facts = (networkManager: NetworkManagerFacts | undefined, collectedAt = "2025-05-05T16:49:50Z"): HostFacts => {
  const f = healthyFacts({ collectedAt, distribution: "rke2", podNetwork: { interface: "cni0", cidr: "10.42.1.0/24" } });
  if (networkManager) f.networkManager = networkManager;
  else delete f.networkManager;
  return f;
};
const probes = [probe("Host", "Konnectivity", "ok"), probe("Pod", "Konnectivity", "ok")];
function run(statuses: Record<string, NetworkHealthStatus>, overrides: Partial<RemediationPolicy> = {}) {
  const names = Object.keys(statuses);
  const observation = observe({ nodes: names.map((n, i) => node(n, `192.168.1.${42 + i}`)), pods: names.map((n) => konnectivityPod(n)), healths: names.map((n) => health(n, statuses[n])) });
  return reconcileNode({ observation, node: W, policy: { ...DEFAULT_POLICY, ...overrides } });
}
function diagnosed(f: NetworkManagerFacts | undefined) {
  const observation = observe({ nodes: [node(W, "192.168.1.42")], pods: [konnectivityPod(W)], healths: [health(W, { facts: facts(f), probes })] });
  const d = diagnoseNode(observation, W, 750);
  if (!d) throw new Error("no diagnosis");
  return d;
}

describe("NM's device specs", () => {
  it.each([
    [["interface-name:cali*"], "cali0123456789a", true],
    [["interface-name:cali*"], "calico", true],
    [["interface-name:=cni0"], "cni0", true],
    [["interface-name:=cni*"], "cni0", false],
    [["interface-name:~flannel*"], "flannel.1", true],
    [["interface-name:flannel?1"], "flannel.1", true],
    [["interface-name:vxlan.calico"], "vxlanXcalico", false],
    [["mac:00:11:22:33:44:55", "type:bridge"], "cni0", false],
    [[], "cni0", false],
  ])("%j covers %s: %s", (specs, name, expected) => {
    expect(specCovers(specs, name)).toBe(expected);
  });

  it("the k3s/RKE2 docs' drop-in (cali*, flannel*) leaves the bridge and Calico's other links to NM", () => {
    expect(managedCNISpecs(nm("active", ["interface-name:cali*", "interface-name:flannel*"]))).toEqual(["interface-name:cni0", "interface-name:kube-bridge", "interface-name:vxlan.calico", "interface-name:tunl*"]);
  });
});

describe("NetworkManager check and plan", () => {
  it.each([
    ["not installed (Ubuntu server, most nodes): nothing to judge", nm("notInstalled"), "True", "NotRunning", false],
    ["installed, not running", nm("inactive", [], ["nm-cloud-setup.timer"]), "True", "NotRunning", false],
    ["running, every CNI link unmanaged, cloud setup off (no misfire)", nm("active", ALL), "True", "CNILinksUnmanaged", false],
    ["running, a catch-all interface-name:* also covers them", nm("active", ["interface-name:*"]), "True", "CNILinksUnmanaged", false],
    ["running with no unmanaged-devices", nm("active"), "False", "ManagingCNILinks", true],
    ["running, links unmanaged but nm-cloud-setup enabled", nm("active", ALL, ["nm-cloud-setup.timer"]), "False", "CloudSetupEnabled", true],
  ])("%s", (_name, f, status, reason, planned) => {
    const d = diagnosed(f);
    expect(d.checks.NetworkManager).toMatchObject({ status, reason });
    expect(d.fixes).toEqual(planned ? [{ action: "UnmanageCNILinks", reason }] : []);
  });

  it("facts without the part (systemctl missing, an older agent) are Unknown", () => {
    expect(diagnosed(undefined).checks.NetworkManager).toMatchObject({ status: "Unknown", reason: "Unknown" });
  });
});

describe("UnmanageCNILinks under the remediation policy", () => {
  const broken = (extra: NetworkHealthStatus = {}): NetworkHealthStatus => ({ facts: facts(nm("active", [], ["nm-cloud-setup.service"])), probes, ...extra });

  it("ordered by default; off in Observe or Disabled for the action; cooldown and maxConcurrent hold it back", () => {
    expect(run({ [W]: broken() }).status.remediation).toMatchObject({ phase: "Pending", actions: [{ action: "UnmanageCNILinks", reason: "ManagingCNILinks" }] });
    expect(run({ [W]: broken() }, { actions: { UnmanageCNILinks: "Observe" } }).status.remediation).toMatchObject({ phase: "Idle", message: expect.stringMatching(/would run UnmanageCNILinks/) });
    expect(run({ [W]: broken() }, { actions: { UnmanageCNILinks: "Disabled" } }).status.remediation).toMatchObject({ phase: "Idle", message: expect.stringMatching(/needed: UnmanageCNILinks$/) });
    const failedRecently = { phase: "Failed", attempts: 1, lastAttemptTime: "2025-05-05T16:48:00Z" } as const;
    expect(run({ [W]: broken({ remediation: failedRecently }) }).status.remediation?.message).toMatch(/^cooldown: next attempt in \d+s/);
    const other: RemediationStatus = { phase: "Pending", mode: "Auto", orderId: "agent-2-1", attempts: 1, lastAttemptTime: "2025-05-05T16:49:30Z", actions: [{ action: "UnmanageCNILinks" }] };
    expect(run({ [W]: broken(), "agent-2": broken({ remediation: other }) }).status.remediation).toMatchObject({ phase: "Blocked" });
  });

  it("confirmed by fresh facts showing the links unmanaged and nm-cloud-setup off", () => {
    const result = { orderId: "agent-1-1", action: "UnmanageCNILinks" as const, result: "Succeeded" as const, time: "2025-05-05T16:49:40Z", detail: "done" };
    const pending: RemediationStatus = { phase: "Pending", mode: "Auto", orderId: "agent-1-1", attempts: 1, lastAttemptTime: "2025-05-05T16:49:30Z", actions: [{ action: "UnmanageCNILinks" }] };
    const healed: NetworkHealthStatus = { facts: facts(nm("active", ALL), "2025-05-05T16:49:58Z"), probes, remediation: pending, agent: { heartbeatTime: "2025-05-05T16:49:58Z", results: [result] } };
    const confirmed = run({ [W]: healed });
    expect(confirmed.status.remediation).toMatchObject({ phase: "Succeeded" });
    expect(confirmed.status.conditions?.find((c) => c.type === "NetworkManager")).toMatchObject({ status: "True", reason: "CNILinksUnmanaged" });
  });
});
