// The report-only rows of issue 19 in the core: ConntrackTable, IptablesBackends, KubeletDNS and
// OverlayMTU — each verdict with its evidence, no fix ever planned, the "report only" reason, and
// Unknown (never True) when the agent could not read the facts.
import { describe, expect, it } from "@jest/globals";
import type { HostFacts } from "../../../src/api/index.js";
import { diagnoseNode } from "../../../src/core/index.js";
import { health, healthyFacts, konnectivityPod, node, observe, probe } from "../../fixtures/cluster.js";

const W = "agent-1";
const probes = [probe("Host", "Konnectivity", "ok"), probe("Pod", "Konnectivity", "ok")];
type Key = "conntrack" | "iptablesBackends" | "kubeletDNS" | "overlayMTU";

function diagnosed(key: Key, value: HostFacts[Key] | undefined) {
  const f = healthyFacts({ distribution: "k3s", podNetwork: { interface: "cni0", cidr: "10.42.1.0/24" } });
  if (value === undefined) delete f[key];
  else Object.assign(f, { [key]: value });
  const observation = observe({ nodes: [node(W, "192.168.1.42")], pods: [konnectivityPod(W)], healths: [health(W, { facts: f, probes })] });
  const diagnosis = diagnoseNode(observation, W, 750);
  if (!diagnosis) throw new Error("no diagnosis");
  return diagnosis;
}

const rules = (...kubeOwners: string[]) => ({ hasRules: true, kubeOwners }) as never;
const none = { hasRules: false, kubeOwners: [] };
const link = (name: string, kind: "vxlan" | "wireguard" | "ipip" | "geneve", mtu: number, underlayMTU?: number) =>
  ({ name, kind, mtu, ...(underlayMTU ? { underlay: "eth0", underlayMTU } : {}) });
const dns = (resolvConf: string, ...nameservers: string[]) => ({ resolvConf, source: "/var/lib/kubelet/config.yaml", nameservers });

describe("report-only checks", () => {
  it.each<[string, Key, HostFacts[Key] | undefined, string, string, string | undefined]>([
    ["conntrack far from full", "conntrack", { max: 262144, usedPercent: 40 }, "True", "Room", "nf_conntrack_count is ≥ 40 % of nf_conntrack_max 262144"],
    ["conntrack just below the line (85 %)", "conntrack", { max: 131072, usedPercent: 85 }, "True", "Room", undefined],
    ["conntrack at the line (90 %)", "conntrack", { max: 131072, usedPercent: 90 }, "False", "NearlyFull", "nf_conntrack_count is ≥ 90 % of nf_conntrack_max 131072"],
    ["conntrack full", "conntrack", { max: 65536, usedPercent: 100 }, "False", "NearlyFull", "nf_conntrack_count is at nf_conntrack_max 65536"],
    ["conntrack unreadable: unknown", "conntrack", undefined, "Unknown", "Unknown", undefined],
    ["kube rules in nft only", "iptablesBackends", { legacy: none, nft: rules("kube", "flannel") }, "True", "OneBackend", "iptables-nft-save: rules in kube, flannel chains"],
    ["kube rules in nft, docker's in legacy: not this fault", "iptablesBackends", { legacy: rules(), nft: rules("kube") }, "True", "OneBackend", "iptables-legacy-save: rules, none in Kubernetes/CNI chains"],
    ["kube-proxy in legacy, flannel in nft: both", "iptablesBackends", { legacy: rules("kube"), nft: rules("flannel") }, "False", "BothBackendsHoldKubeRules", "iptables-legacy-save: rules in kube chains"],
    ["no rules anywhere (kube-proxy replaced by eBPF)", "iptablesBackends", { legacy: none, nft: none }, "True", "OneBackend", "iptables-nft-save: no rules"],
    ["backends unreadable: unknown", "iptablesBackends", undefined, "Unknown", "Unknown", undefined],
    ["systemd-resolved's upstream file", "kubeletDNS", dns("/run/systemd/resolve/resolv.conf", "10.0.0.2", "10.0.0.3"), "True", "NoLoopbackNameserver", undefined],
    ["the stub 127.0.0.53", "kubeletDNS", dns("/etc/resolv.conf", "127.0.0.53"), "False", "LoopbackNameserver", "kubelet resolvConf /etc/resolv.conf (/var/lib/kubelet/config.yaml): nameserver 127.0.0.53"],
    ["a local dnsmasq on 127.0.1.1 next to a real one", "kubeletDNS", dns("/etc/resolv.conf", "10.0.0.2", "127.0.1.1"), "False", "LoopbackNameserver", undefined],
    ["IPv6 loopback", "kubeletDNS", dns("/etc/resolv.conf", "::1"), "False", "LoopbackNameserver", undefined],
    ["resolvConf \"\": the kubelet gives none", "kubeletDNS", dns(""), "True", "NoResolvConf", undefined],
    ["kubelet DNS unreadable: unknown", "kubeletDNS", undefined, "Unknown", "Unknown", undefined],
    ["no overlay link", "overlayMTU", { links: [] }, "True", "NoOverlayLink", undefined],
    ["flannel.1 1450 on 1500", "overlayMTU", { links: [link("flannel.1", "vxlan", 1450, 1500)] }, "True", "Fits", "flannel.1 (vxlan) mtu 1450 + 50 overhead; eth0 mtu 1500"],
    ["flannel.1 1450 on a 1450 VPC", "overlayMTU", { links: [link("flannel.1", "vxlan", 1450, 1450)] }, "False", "TooLargeForUnderlay", "flannel.1 (vxlan) mtu 1450 + 50 overhead; eth0 mtu 1450"],
    ["WireGuard 1440 on 1500 (IPv4 overhead 60)", "overlayMTU", { links: [link("flannel-wg", "wireguard", 1440, 1500)] }, "True", "Fits", undefined],
    ["WireGuard 1450 on 1500", "overlayMTU", { links: [link("wg0", "wireguard", 1450, 1500)] }, "False", "TooLargeForUnderlay", undefined],
    ["tunl0 1480 on 1500 (IP-in-IP 20)", "overlayMTU", { links: [link("tunl0", "ipip", 1480, 1500)] }, "True", "Fits", undefined],
    ["jumbo underlay 9001 with 8951", "overlayMTU", { links: [link("vxlan.calico", "vxlan", 8951, 9001)] }, "True", "Fits", undefined],
    ["cilium_vxlan at 1500: Cilium sets the MTU on routes, not judged", "overlayMTU", { links: [link("cilium_vxlan", "vxlan", 1500, 1500)] }, "True", "NoOverlayLink", "cilium_vxlan (vxlan) mtu 1500 + 50 overhead; eth0 mtu 1500 (Cilium: not judged)"],
    ["underlay unknown: unknown", "overlayMTU", { links: [link("flannel.1", "vxlan", 1450)] }, "Unknown", "Unknown", "flannel.1 (vxlan) mtu 1450 + 50 overhead; underlay unknown"],
    ["one fits, one does not: the fault", "overlayMTU", { links: [link("flannel.1", "vxlan", 1400, 1500), link("wg0", "wireguard", 1500, 1500)] }, "False", "TooLargeForUnderlay", undefined],
    ["overlay MTU unreadable: unknown", "overlayMTU", undefined, "Unknown", "Unknown", undefined],
  ])("%s", (_name, key, value, status, reason, evidence) => {
    const d = diagnosed(key, value);
    const check = Object.values(d.checks).find((c) => c.reason === reason && c.status === status && c.type !== "Ready");
    expect(check).toBeDefined();
    if (evidence) expect(check?.evidence).toContain(evidence);
    expect(d.fixes).toEqual([]);
    expect(d.ready.status).toBe(status === "True" ? "True" : status);
    if (status === "False") {
      expect(d.rootCause).toBe(reason);
      expect(d.noFixReason).toMatch(new RegExp(`^${check?.type} is report only: `));
    } else expect(d.noFixReason).toBeUndefined();
  });

  it("a node with none of these facts (an older agent) is Unknown on all four, never True", () => {
    const f = healthyFacts({ distribution: "k3s" });
    for (const key of ["conntrack", "iptablesBackends", "kubeletDNS", "overlayMTU"] as const) delete f[key];
    const observation = observe({ nodes: [node(W, "192.168.1.42")], pods: [konnectivityPod(W)], healths: [health(W, { facts: f, probes })] });
    const d = diagnoseNode(observation, W, 750);
    for (const type of ["ConntrackTable", "IptablesBackends", "KubeletDNS", "OverlayMTU"] as const) {
      expect(d?.checks[type]).toMatchObject({ status: "Unknown", message: expect.stringContaining("agents older than this check") });
    }
    expect(d?.ready).toMatchObject({ status: "Unknown", message: "not yet known: ConntrackTable, IptablesBackends, KubeletDNS, OverlayMTU" });
  });
});
