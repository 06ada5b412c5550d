// VXLAN transmit checksum offload in the core: the VXLANChecksumOffload verdict (a fault only with
// bad UDP checksums as evidence — offload on a fixed kernel is right), the DisableVXLANChecksumOffload
// plan, and the action under the remediation policy like every other (policy-gates.ts; confirmed
// only by fresh facts).
import { describe, expect, it } from "@jest/globals";
import type { HostFacts, NetworkHealthStatus, RemediationStatus, VXLANChecksumFacts } from "../../../src/api/index.js";
import { DEFAULT_POLICY, diagnoseNode, reconcileNode, type NodeReconcileResult, type RemediationPolicy } from "../../../src/core/index.js";
import { health, healthyFacts, konnectivityPod, node, observe, probe } from "../../fixtures/cluster.js";
import { policyGateTests } from "./policy-gates.js";

const W = "agent-1";
/** VXLAN facts from "name=on|off" words; `errors` null = the counter was unreadable. */
const vx = (spec: string, errors: boolean | null = true): VXLANChecksumFacts => ({
  links: spec ? spec.split(" ").map((w) => ({ name: w.split("=")[0] ?? "", txChecksumOffload: w.endsWith("=on") })) : [],
  ...(errors === null ? {} : { udpChecksumErrors: errors }),
});
const facts = (vxlanChecksum: VXLANChecksumFacts | undefined, collectedAt = "2025-05-05T16:49:50Z"): HostFacts => {
  const f = healthyFacts({ collectedAt, distribution: "k3s", podNetwork: { interface: "cni0", cidr: "10.42.1.0/24" } });
  if (vxlanChecksum) f.vxlanChecksum = vxlanChecksum;
  else delete f.vxlanChecksum;
  return f;
};
const probes = [probe("Host", "Konnectivity", "ok"), probe("Pod", "Konnectivity", "ok")];

function diagnosed(vxlanChecksum: VXLANChecksumFacts | undefined) {
  const observation = observe({ nodes: [node(W, "192.168.1.42")], pods: [konnectivityPod(W)], healths: [health(W, { facts: facts(vxlanChecksum), probes })] });
  const diagnosis = diagnoseNode(observation, W, 750);
  if (!diagnosis) throw new Error("no diagnosis");
  return diagnosis;
}

describe("VXLANChecksumOffload", () => {
  it.each([
    ["no VXLAN link (kube-router, a bridge CNI): nothing to judge", vx("", null), "True", "NoVXLANLink", []],
    ["offload off (Felix turned it off, or a person)", vx("flannel.1=off"), "True", "OffloadOff", []],
    ["offload on, no bad checksum yet: a fixed kernel's offload is right (no misfire)", vx("flannel.1=on", false), "True", "OffloadOnWithoutErrors", []],
    ["offload on, counter unreadable: unknown, never healthy", vx("flannel.1=on", null), "Unknown", "Unknown", []],
    ["offload on with bad UDP checksums: the fault", vx("flannel.1=on", true), "False", "BadChecksums", ["flannel.1"]],
    ["only the links still offloading are ordered", vx("flannel.1=off vxlan.calico=on", true), "False", "BadChecksums", ["vxlan.calico"]],
    ["bad checksums but no offload anywhere: another cause, not this fault", vx("flannel.1=off", true), "True", "OffloadOff", []],
  ])("%s", (_name, f, status, reason, links) => {
    const d = diagnosed(f);
    expect(d.checks.VXLANChecksumOffload).toMatchObject({ status, reason });
    const fix = d.fixes.filter((a) => a.action === "DisableVXLANChecksumOffload");
    expect(fix).toEqual(links.length ? [{ action: "DisableVXLANChecksumOffload", reason: "BadChecksums", links }] : []);
    if (status === "False") expect(d.rootCause).toBe("BadChecksums");
  });

  it("facts without the part (ethtool missing: an error, an older agent) are Unknown, never True or False", () => {
    expect(diagnosed(undefined).checks.VXLANChecksumOffload).toMatchObject({ status: "Unknown", reason: "Unknown" });
  });

  it("the evidence quotes ethtool's words and the counter", () => {
    expect(diagnosed(vx("flannel.1=on", true)).checks.VXLANChecksumOffload.evidence).toEqual([
      "ethtool -k flannel.1: tx-checksum-ip-generic: on", "UDP datagrams received with a bad checksum: yes (InCsumErrors > 0)",
    ]);
  });
});

const broken = (extra: NetworkHealthStatus = {}): NetworkHealthStatus => ({ facts: facts(vx("flannel.1=on")), probes, ...extra });
const pending = (extra: Partial<RemediationStatus> = {}): RemediationStatus => ({
  phase: "Pending", mode: "Auto", orderId: "agent-1-1", attempts: 1, lastAttemptTime: "2025-05-05T16:49:30Z",
  actions: [{ action: "DisableVXLANChecksumOffload", links: ["flannel.1"] }], ...extra,
});

function run(statuses: Record<string, NetworkHealthStatus>, overrides: Partial<RemediationPolicy> = {}, annotations?: Record<string, string>): NodeReconcileResult {
  const names = Object.keys(statuses);
  const observation = observe({
    nodes: names.map((name, i) => node(name, `192.168.1.${42 + i}`, { annotations: name === W ? annotations : undefined })),
    pods: names.map((name) => konnectivityPod(name)),
    healths: names.map((name) => health(name, statuses[name])),
  });
  return reconcileNode({ observation, node: W, policy: { ...DEFAULT_POLICY, ...overrides } });
}

describe("DisableVXLANChecksumOffload under the remediation policy", () => {
  it("default policy: ordered with the offloading links", () => {
    expect(run({ [W]: broken() }).status.remediation).toMatchObject({
      phase: "Pending", actions: [{ action: "DisableVXLANChecksumOffload", reason: "BadChecksums", links: ["flannel.1"] }],
    });
  });

  policyGateTests("DisableVXLANChecksumOffload", /DisableVXLANChecksumOffload\(links=flannel\.1\)/, { node: W, run, broken, pending });

  it("confirmed only by facts collected after the result that show the offload off", () => {
    const result = { orderId: "agent-1-1", action: "DisableVXLANChecksumOffload" as const, result: "Succeeded" as const, time: "2025-05-05T16:49:40Z", detail: "off" };
    const stillOld = run({ [W]: { ...broken({ remediation: pending() }), agent: { heartbeatTime: "2025-05-05T16:49:58Z", results: [result] } } });
    expect(stillOld.status.remediation).toMatchObject({ phase: "Applying" });
    const healed: NetworkHealthStatus = { facts: facts(vx("flannel.1=off"), "2025-05-05T16:49:58Z"), probes, remediation: pending(), agent: { heartbeatTime: "2025-05-05T16:49:58Z", results: [result] } };
    const confirmed = run({ [W]: healed });
    expect(confirmed.status.remediation).toMatchObject({ phase: "Succeeded", message: "DisableVXLANChecksumOffload applied and confirmed by fresh facts" });
    expect(confirmed.status.conditions?.find((c) => c.type === "VXLANChecksumOffload")).toMatchObject({ status: "True", reason: "OffloadOff" });
  });
});
