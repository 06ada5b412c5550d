// Parsing what the host's tools print for the report-only rows of issue 19: conntrack fill steps,
// iptables-save owners, the kubelet's resolvConf setting and nameservers, `ip -d -o link show`.
import { describe, expect, it } from "@jest/globals";
import type { HostCommandResult, HostExecutor } from "../../../src/agent/host-executor.js";
import { readConntrack, usedPercent } from "../../../src/agent/conntrack.js";
import { parseSave, readIptablesBackends } from "../../../src/agent/iptables-backends.js";
import { configuredResolvConf, parseNameservers, readKubeletDNS } from "../../../src/agent/kubelet-dns.js";
import { overlayMTUs, parseDetailedLinks } from "../../../src/agent/overlay-mtu.js";

describe("conntrack fill", () => {
  it.each([[0, 262144, 0], [23592, 262144, 5], [235929, 262144, 85], [235930, 262144, 90], [262143, 262144, 95], [262144, 262144, 100], [5, 0, 100]])(
    "%i of %i → %i %%", (count, max, percent) => expect(usedPercent(count, max)).toBe(percent));
});

describe("iptables-save owners", () => {
  it.each([
    ["empty (no tables)", "", { hasRules: false, kubeOwners: [] }],
    ["docker only", "*filter\n:DOCKER - [0:0]\n-A FORWARD -j DOCKER-USER\n-A DOCKER -j RETURN\nCOMMIT\n", { hasRules: true, kubeOwners: [] }],
    ["kube-proxy and flannel", "*nat\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -j KUBE-SERVICES\n-A KUBE-SERVICES -d 10.43.0.1/32 -j KUBE-SVC-X\n-A FLANNEL-POSTRTG -j RETURN\nCOMMIT\n", { hasRules: true, kubeOwners: ["kube", "flannel"] }],
    ["a chain declared but empty is no rule", "*filter\n:KUBE-FIREWALL - [0:0]\nCOMMIT\n", { hasRules: false, kubeOwners: [] }],
    ["calico and cilium", "-A cali-FORWARD -j ACCEPT\n-A CILIUM_FORWARD -j ACCEPT\n-A CNI-HOSTPORT-DNAT -j RETURN\n", { hasRules: true, kubeOwners: ["cni", "calico", "cilium"] }],
  ])("%s", (_name, text, expected) => expect(parseSave(text)).toEqual(expected));
});

describe("kubelet resolvConf setting", () => {
  const kubelet = /^resolvConf:\s*["']?([^"'\s#]*)/;
  const k3s = /^(?:resolv-conf:\s*|.*["'\s-]resolv-conf=)["']?([^"'\s#,\]]*)/;
  it.each([
    ["kubeadm", "resolvConf: /run/systemd/resolve/resolv.conf\n", kubelet, "/run/systemd/resolve/resolv.conf"],
    ["kubeadm quoted", 'resolvConf: "/etc/resolv.conf"\n', kubelet, "/etc/resolv.conf"],
    ["kubelet told none", 'resolvConf: ""\n', kubelet, ""],
    ["not set", "", kubelet, undefined],
    ["k3s key", "resolv-conf: /etc/k3s-resolv.conf\n", k3s, "/etc/k3s-resolv.conf"],
    ["k3s kubelet-arg list item", '  - "resolv-conf=/etc/resolv.conf"\n', k3s, "/etc/resolv.conf"],
    ["k3s kubelet-arg flow list", 'kubelet-arg: ["max-pods=200", "resolv-conf=/run/r.conf"]\n', k3s, "/run/r.conf"],
  ])("%s", (_name, lines, pattern, expected) => expect(configuredResolvConf(lines, pattern)).toBe(expected));

  it("nameservers in order, comments and options ignored", () => {
    expect(parseNameservers("# stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\n  nameserver 10.0.0.2\nsearch lan\n")).toEqual(["127.0.0.53", "10.0.0.2"]);
  });
});

describe("overlay links from ip -d -o link show", () => {
  const text = [
    "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0 minmtu 0 maxmtu 0 addrgenmode eui64",
    "2: eth0@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\\    link/ether 9e:16:5d:c3:d6:47 brd ff:ff:ff:ff:ff:ff promiscuity 0 \\    veth addrgenmode eui64",
    "3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP\\    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff promiscuity 0 addrgenmode none",
    "4: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN\\    link/ether 9e:16:5d:c3:d6:48 brd ff:ff:ff:ff:ff:ff promiscuity 0 \\    vxlan id 1 local 10.0.0.11 dev eth1 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum",
    "5: wg0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1420 qdisc noqueue state UNKNOWN\\    link/none  promiscuity 0 \\    wireguard addrgenmode none",
    "6: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN\\    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0 \\    ipip any remote any local any ttl inherit nopmtudisc",
  ].join("\n");

  it("kinds, MTUs and the VXLAN link's own dev", () => {
    expect(parseDetailedLinks(text)).toEqual([
      { name: "lo", mtu: 65536 }, { name: "eth0", mtu: 1500 }, { name: "eth1", mtu: 9001 },
      { name: "flannel.1", mtu: 1450, kind: "vxlan", dev: "eth1" }, { name: "wg0", mtu: 1420, kind: "wireguard" }, { name: "tunl0", mtu: 1480, kind: "ipip" },
    ]);
  });

  it("the underlay is the VXLAN link's dev, else the uplink; unknown when neither", () => {
    expect(overlayMTUs(parseDetailedLinks(text), "eth0").links).toEqual([
      { name: "flannel.1", kind: "vxlan", mtu: 1450, underlay: "eth1", underlayMTU: 9001 },
      { name: "wg0", kind: "wireguard", mtu: 1420, underlay: "eth0", underlayMTU: 1500 },
      { name: "tunl0", kind: "ipip", mtu: 1480, underlay: "eth0", underlayMTU: 1500 },
    ]);
    expect(overlayMTUs(parseDetailedLinks(text), undefined).links[1]).toEqual({ name: "wg0", kind: "wireguard", mtu: 1420 });
  });
});

/** A host answering each argv (joined by spaces) from `answers`; anything else is "No such file or directory". */
function fakeHost(answers: Record<string, string | { code: number; stderr?: string }>): HostExecutor {
  const run = async (argv: readonly string[]): Promise<HostCommandResult> => {
    const answer = answers[argv.join(" ")];
    if (typeof answer === "string") return { code: 0, stdout: answer, stderr: "", timedOut: false };
    if (answer) return { code: answer.code, stdout: "", stderr: answer.stderr ?? "", timedOut: false };
    return { code: 1, stdout: "", stderr: `${argv.at(-1)}: No such file or directory`, timedOut: false };
  };
  return { run } as unknown as HostExecutor;
}

describe("readers on a host: unreadable is an error (→ Unknown), never healthy", () => {
  it("conntrack without nf_conntrack_count throws; with both files reports the fill", async () => {
    await expect(readConntrack(fakeHost({ "cat -- /proc/sys/net/netfilter/nf_conntrack_max": "262144\n" }))).rejects.toThrow(/nf_conntrack_count unreadable/);
    const host = fakeHost({ "cat -- /proc/sys/net/netfilter/nf_conntrack_max": "262144\n", "cat -- /proc/sys/net/netfilter/nf_conntrack_count": "250000\n" });
    await expect(readConntrack(host)).resolves.toEqual({ max: 262144, usedPercent: 95 });
  });

  it("iptables: no legacy table in the kernel needs no legacy tool; a missing nft tool throws; legacy tables and no legacy tool throw", async () => {
    const nft = "-A KUBE-SERVICES -j RETURN\n";
    await expect(readIptablesBackends(fakeHost({ "cat -- /proc/net/ip_tables_names": "", "iptables-nft-save": nft })))
      .resolves.toEqual({ legacy: { hasRules: false, kubeOwners: [] }, nft: { hasRules: true, kubeOwners: ["kube"] } });
    await expect(readIptablesBackends(fakeHost({ "cat -- /proc/net/ip_tables_names": "", "iptables-nft-save": { code: 127 } }))).rejects.toThrow(/iptables-nft-save is not installed/);
    await expect(readIptablesBackends(fakeHost({ "cat -- /proc/net/ip_tables_names": "nat\nfilter\n", "iptables-legacy-save": { code: 127 }, "iptables-nft-save": nft }))).rejects.toThrow(/iptables-legacy-save is not installed/);
  });

  it("kubelet DNS: kubeadm's setting, k3s' own pick past a stub /etc/resolv.conf, a missing configured file throws", async () => {
    const kubeadm = fakeHost({ "grep -E resolv-?[cC]onf -- /var/lib/kubelet/config.yaml": "resolvConf: /run/systemd/resolve/resolv.conf\n", "cat -- /run/systemd/resolve/resolv.conf": "nameserver 10.0.0.2\n" });
    await expect(readKubeletDNS(kubeadm, "kubeadm")).resolves.toEqual({ resolvConf: "/run/systemd/resolve/resolv.conf", source: "/var/lib/kubelet/config.yaml", nameservers: ["10.0.0.2"] });
    const k3s = fakeHost({ "grep -E resolv-?[cC]onf -- /etc/rancher/k3s/config.yaml": { code: 1 }, "cat -- /etc/resolv.conf": "nameserver 127.0.0.53\n", "cat -- /run/systemd/resolve/resolv.conf": "nameserver 10.0.0.2\n" });
    await expect(readKubeletDNS(k3s, "k3s")).resolves.toEqual({ resolvConf: "/run/systemd/resolve/resolv.conf", source: "k3s default", nameservers: ["10.0.0.2"] });
    const missing = fakeHost({ "grep -E resolv-?[cC]onf -- /etc/rancher/k3s/config.yaml": "resolv-conf: /etc/gone.conf\n" });
    await expect(readKubeletDNS(missing, "k3s")).rejects.toThrow("/etc/gone.conf (the kubelet's resolv.conf) does not exist");
  });
});
