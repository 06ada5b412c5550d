// rp_filter in the core: which settings are strict for which CNI, the ReversePathFilter verdict and
// the LoosenReversePathFilter plan — table-driven, including the nodes where nothing may misfire
// (loose or off everywhere, Calico's deliberate strict cali* links, Cilium's links off).
import { describe, expect, it } from "@jest/globals";
import type { LinkValue, ReversePathFilterFacts } from "../../../src/api/index.js";
import { diagnoseNode } from "../../../src/core/index.js";
import { checkReversePathFilter, filteringCiliumLinks, podLinkOwner, rpFilterKey, strictSettings } from "../../../src/core/checks-rp-filter.js";
import { health, healthyFacts, konnectivityPod, node, observe, probe } from "../../fixtures/cluster.js";

const WORKER = "worker-1";

const links = (spec: string): LinkValue[] => (spec ? spec.split(" ").map((p) => ({ name: p.split("=")[0] ?? "", value: Number(p.split("=")[1]) })) : []);
/** rp_filter facts; `dropped` null = the drop count was unreadable. */
const rp = (all: number, fallback: number, spec = "", dropped: boolean | null = true): ReversePathFilterFacts =>
  ({ all, default: fallback, links: links(spec), linkCount: links(spec).length, ...(dropped === null ? {} : { dropped }) });

function diagnosed(rpFilter: ReversePathFilterFacts | undefined) {
  const facts = healthyFacts(rpFilter ? { rpFilter } : {});
  if (!rpFilter) delete facts.rpFilter;
  const observation = observe({
    nodes: [node(WORKER, "192.168.1.42")],
    pods: [konnectivityPod(WORKER)],
    healths: [health(WORKER, { facts, probes: [probe("Host", "Konnectivity", "ok"), probe("Pod", "Konnectivity", "ok")] })],
  });
  const diagnosis = diagnoseNode(observation, WORKER, 750);
  if (!diagnosis) throw new Error("no diagnosis");
  return diagnosis;
}

describe("strictSettings and the CNI rules", () => {
  it.each([
    ["all off, bridge off: nothing", rp(0, 0, "cni0=0"), []],
    ["all loose lifts a strict link (the kernel takes the larger)", rp(2, 1, "cni0=1 flannel.1=1"), []],
    ["all strict: loosening all is enough", rp(1, 1, "cni0=0 flannel.1=0"), ["all"]],
    ["all strict but every link and default loose: nothing", rp(1, 2, "cni0=2"), []],
    ["default strict: links created later (each new pod's veth) start strict", rp(0, 1, "cni0=0"), ["default"]],
    ["one strict link", rp(0, 0, "cni0=1 veth1a2b=0"), ["cni0"]],
    ["default and links", rp(0, 1, "cni0=1 flannel.1=1"), ["default", "cni0", "flannel.1"]],
    ["Cilium's links are judged apart (they need 0)", rp(0, 0, "cilium_host=1 lxc12ab=1"), []],
  ])("%s", (_name, facts, expected) => {
    expect(strictSettings(facts)).toEqual(expected);
  });

  it.each([
    [rp(0, 0, "cni0=0"), "other"], [rp(1, 1, "cali12ab34=1 vxlan.calico=0"), "calico"], [rp(0, 0, "cilium_host=0 lxc1=0"), "cilium"], [rp(0, 0), "other"],
  ])("podLinkOwner %#", (facts, owner) => {
    expect(podLinkOwner(facts)).toBe(owner);
  });

  it("Cilium needs its links off: loose counts, and so does a filtering all", () => {
    expect(filteringCiliumLinks(rp(0, 0, "cilium_host=0 lxc1=2 lxc2=0"))).toEqual(["lxc1"]);
    expect(filteringCiliumLinks(rp(2, 2, "cilium_host=0 lxc1=0"))).toEqual(["cilium_host", "lxc1"]);
  });

  it("a link's sysctl key has its dots as '/'", () => {
    expect(rpFilterKey("flannel.1")).toBe("net.ipv4.conf.flannel/1.rp_filter");
    expect(rpFilterKey("all")).toBe("net.ipv4.conf.all.rp_filter");
  });
});

describe("ReversePathFilter verdict and plan", () => {
  it.each([
    ["off everywhere (the healthy fixture)", rp(0, 0, "kube-bridge=0"), "True", "NotStrict"],
    ["Ubuntu's loose defaults", rp(2, 2, "cni0=2 flannel.1=2"), "True", "NotStrict"],
    ["Calico keeps strict on cali* on purpose", rp(1, 1, "cali0a1b2c=1 vxlan.calico=1"), "True", "ManagedByCNI"],
    ["Cilium with its links off", rp(0, 0, "cilium_host=0 lxc9f=0"), "True", "NotStrict"],
    ["RHEL-family strict all, nothing dropped yet (the k0s incident's node: symmetric paths pass)", rp(1, 1, "kube-bridge=0", false), "True", "StrictWithoutDrops"],
    ["strict all and the kernel has dropped packets on the check", rp(1, 1, "kube-bridge=0"), "False", "StrictOnPodLinks"],
    ["strict, the drop count unreadable: Unknown", rp(1, 1, "kube-bridge=0", null), "Unknown", "Unknown"],
    ["Cilium's links filtering is a fault even before a drop is counted", rp(0, 0, "cilium_host=0 lxc9f=1", false), "False", "StrictOnPodLinks"],
    ["a strict pod bridge", rp(0, 0, "kube-bridge=1"), "False", "StrictOnPodLinks"],
    ["systemd's loose default on Cilium's links (cilium #10645)", rp(0, 2, "cilium_host=0 lxc9f=2"), "False", "StrictOnPodLinks"],
  ])("%s: %s %s", (_name, _facts, status, reason) => {
    const facts = _facts as ReversePathFilterFacts;
    expect(diagnosed(facts).checks.ReversePathFilter).toMatchObject({ status, reason });
  });

  it("no rp_filter facts from an agent that reported others: Unknown, never a guess", () => {
    expect(diagnosed(undefined).checks.ReversePathFilter).toMatchObject({ status: "Unknown", reason: "Unknown", message: expect.stringContaining("not reported") });
  });

  it("strict pod bridge and default: the evidence names each, the plan loosens exactly them", () => {
    const d = diagnosed(rp(0, 1, "kube-bridge=1 veth0a=0"));
    expect(d.checks.ReversePathFilter.evidence).toEqual([
      "net.ipv4.conf.all.rp_filter = 0", "net.ipv4.conf.default.rp_filter = 1", "net.ipv4.conf.kube-bridge.rp_filter = 1", "pod-facing links' rp_filter: veth0a=0",
      "the kernel has dropped packets on the reverse-path check (IPReversePathFilter > 0)",
    ]);
    expect(d.checks.ReversePathFilter.message).toBe("strict reverse-path filtering (rp_filter=1) on kube-bridge, links created later (default): pod packets with an asymmetric return path are dropped");
    expect(d.rootCause).toBe("StrictOnPodLinks");
    expect(d.ready).toMatchObject({ status: "False", message: "ReversePathFilter=StrictOnPodLinks" });
    expect(d.fixes).toEqual([{ action: "LoosenReversePathFilter", reason: "StrictOnPodLinks", links: ["kube-bridge"] }]);
  });

  it("strict all: one change planned, no link named", () => {
    expect(diagnosed(rp(1, 1, "kube-bridge=0")).fixes).toEqual([{ action: "LoosenReversePathFilter", reason: "StrictOnPodLinks" }]);
  });

  it("Cilium: diagnosed, but no fix planned — the reason says what Cilium needs", () => {
    const d = diagnosed(rp(0, 2, "cilium_host=0 lxc9f=2"));
    expect(d.fixes).toEqual([]);
    expect(d.noFixReason).toContain("net.ipv4.conf.lxc*.rp_filter = 0");
  });

  it("many veths: evidence stays short and says how many more", () => {
    const many = Array.from({ length: 20 }, (_, i) => `veth${i}=0`).join(" ");
    const check = checkReversePathFilter({ facts: healthyFacts({ rpFilter: { ...rp(0, 0, many), linkCount: 80 } }) } as never);
    expect(check.evidence.at(-1)).toMatch(/veth0=0, .* and 72 more$/);
    expect(check.evidence).toHaveLength(3);
  });
});
