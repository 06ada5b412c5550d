// Pure readers of the host: routes and links, distribution markers, sysctl values and the agent's
// persistence files. Inputs are real `ip` / `grep -H` output shapes.
import { describe, expect, it } from "@jest/globals";
import { detectPodNetwork, parseLinkNames, parseRoutes, uplinkInterface } from "../../../src/agent/pod-network.js";
import { AGENT_LAYOUTS, distributionFromPaths, unitFromPaths } from "../../../src/agent/distribution.js";
import { interfaceForwarding, parseSysctlValues, sysctlRef } from "../../../src/agent/sysctl.js";
import { parseDialOutput } from "../../../src/agent/host-dialer.js";
import { mergeModulesConf, mergeSysctlConf, modulesConfHas, sysctlConfValue } from "../../../src/agent/conf-files.js";

const LAB_ROUTES = [
  "default via 10.213.171.1 dev eth0 ",
  "10.213.171.0/24 dev eth0 proto kernel scope link src 10.213.171.2 ",
  "10.244.171.0/24 dev cni0 proto kernel scope link src 10.244.171.1 ",
].join("\n");
const LAB_LINKS = [
  "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
  "2: eth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 52:d6:d3:bc:55:e3 brd ff:ff:ff:ff:ff:ff link-netnsid 1",
  "3: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 9e:06:20:fc:f1:7f brd ff:ff:ff:ff:ff:ff",
  "4: vethpod0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master cni0 state UP mode DEFAULT group default qlen 1000\\    link/ether 9e:06:20:fc:f1:7f",
].join("\n");

describe("pod network detection", () => {
  it("reads links and the uplink", () => {
    expect(parseLinkNames(LAB_LINKS)).toEqual(["lo", "eth0", "cni0", "vethpod0"]);
    expect(uplinkInterface(parseRoutes(LAB_ROUTES))).toBe("eth0");
  });
  it.each([
    ["flannel/bridge: cni0 and its connected route", ["lo", "eth0", "cni0", "flannel.1"], LAB_ROUTES, {}, { interface: "cni0", cidr: "10.244.171.0/24" }],
    ["k0s kube-router: kube-bridge", ["eth0", "kube-bridge"], "10.244.0.0/24 dev kube-bridge proto kernel scope link src 10.244.0.1", {}, { interface: "kube-bridge", cidr: "10.244.0.0/24" }],
    ["calico: no bridge, the bird blackhole block", ["eth0", "vxlan.calico", "cali1234abcd"], "blackhole 10.42.7.0/26 proto bird\n10.42.7.1 dev cali1234abcd scope link", {}, { interface: "vxlan.calico", cidr: "10.42.7.0/26" }],
    ["flags override detection", ["eth0", "cni0"], LAB_ROUTES, { interface: "br-pods", cidr: "10.9.0.0/24" }, { interface: "br-pods", cidr: "10.9.0.0/24" }],
    ["nothing pod-like", ["lo", "eth0"], "default via 10.0.0.1 dev eth0", {}, {}],
  ])("%s", (_name, links, routes, override, expected) => {
    expect(detectPodNetwork(links, parseRoutes(routes), override)).toEqual(expected);
  });
});

describe("distribution detection", () => {
  it.each([
    ["k3s agent", ["/etc/rancher/k3s", "/etc/systemd/system/k3s-agent.service.env"], "k3s"],
    ["RKE2 (before k3s)", ["/etc/rancher/rke2", "/var/lib/rancher/k3s"], "rke2"],
    ["k0s", ["/var/lib/k0s"], "k0s"],
    ["kubeadm", ["/etc/kubernetes/kubelet.conf"], "kubeadm"],
    ["nothing", ["/etc/firewalld"], "unknown"],
  ])("%s", (_name, paths, expected) => {
    expect(distributionFromPaths(new Set(paths))).toBe(expected);
  });
  it("picks the unit whose files exist, the agent unit by default", () => {
    expect(unitFromPaths(AGENT_LAYOUTS.k3s, new Set(["/etc/systemd/system/k3s-agent.service.env"]))).toBe("k3s-agent");
    expect(unitFromPaths(AGENT_LAYOUTS.k3s, new Set(["/etc/systemd/system/k3s.service"]))).toBe("k3s");
    expect(unitFromPaths(AGENT_LAYOUTS.k3s, new Set())).toBe("k3s-agent");
    expect(unitFromPaths(AGENT_LAYOUTS.rke2, new Set(["/usr/lib/systemd/system/rke2-server.service"]))).toBe("rke2-server");
    expect(unitFromPaths(AGENT_LAYOUTS.rke2, new Set(["/etc/default/rke2-agent"]))).toBe("rke2-agent");
    expect(unitFromPaths(AGENT_LAYOUTS.rke2, new Set(["/etc/sysconfig/rke2-server"]))).toBe("rke2-server");
    expect(AGENT_LAYOUTS.rke2.envFiles).toEqual(["/etc/default/rke2-agent", "/etc/sysconfig/rke2-agent", "/usr/local/lib/systemd/system/rke2-agent.env",
      "/etc/default/rke2-server", "/etc/sysconfig/rke2-server", "/usr/local/lib/systemd/system/rke2-server.env"]);
    expect(AGENT_LAYOUTS.rke2.port).toBe(9345);
  });
});

describe("sysctls", () => {
  it("keys turn dots in interface names into slashes; paths keep them", () => {
    expect(interfaceForwarding("flannel.1")).toEqual({ key: "net.ipv4.conf.flannel/1.forwarding", path: "/proc/sys/net/ipv4/conf/flannel.1/forwarding" });
    expect(sysctlRef("net", "ipv4", "ip_forward").key).toBe("net.ipv4.ip_forward");
  });
  it("refuses an interface name that is not one", () => {
    expect(() => interfaceForwarding("../../kernel")).toThrow();
  });
  it("parses grep -H output, skipping unreadable entries", () => {
    const text = "/proc/sys/net/ipv4/ip_forward:0\n/proc/sys/net/bridge/bridge-nf-call-iptables:1\ngarbage\n";
    expect(parseSysctlValues(text)).toEqual(new Map([["/proc/sys/net/ipv4/ip_forward", 0], ["/proc/sys/net/bridge/bridge-nf-call-iptables", 1]]));
  });
});

describe("persistence files", () => {
  it("creates the sysctl file with a header", () => {
    const text = mergeSysctlConf(undefined, [["net.ipv4.ip_forward", 1]]);
    expect(text).toMatch(/^# Managed by netmedic/);
    expect(text.endsWith("net.ipv4.ip_forward = 1\n")).toBe(true);
  });
  it("rewrites an existing assignment, keeps comments and other keys, appends new keys", () => {
    const before = "# mine\nnet.ipv4.ip_forward=0\n; old style comment\nvm.swappiness = 10\n";
    const after = mergeSysctlConf(before, [["net.ipv4.ip_forward", 1], ["net.bridge.bridge-nf-call-iptables", 1]]);
    expect(after).toBe("# mine\nnet.ipv4.ip_forward = 1\n; old style comment\nvm.swappiness = 10\nnet.bridge.bridge-nf-call-iptables = 1\n");
    expect(sysctlConfValue(after, "net.ipv4.ip_forward")).toBe("1");
    expect(sysctlConfValue("# net.ipv4.ip_forward = 1\n", "net.ipv4.ip_forward")).toBeUndefined();
    expect(mergeSysctlConf(after, [["net.ipv4.ip_forward", 1]])).toBe(after);
  });
  it("adds br_netfilter to modules-load.d once", () => {
    const once = mergeModulesConf(undefined, "br_netfilter");
    expect(modulesConfHas(once, "br_netfilter")).toBe(true);
    expect(mergeModulesConf(once, "br_netfilter")).toBe(once);
    expect(mergeModulesConf("overlay", "br_netfilter")).toBe("overlay\nbr_netfilter\n");
  });
});

describe("dialer output", () => {
  it("the agent accepts only well-formed dialer output", () => {
    expect(parseDialOutput('[{"result":"ok","latencyMs":1.6,"detail":"x"}]', 1)).toEqual([{ result: "ok", latencyMs: 2, detail: "x" }]);
    expect(() => parseDialOutput('[{"result":"ok","latencyMs":1}]', 2)).toThrow();
    expect(() => parseDialOutput('[{"result":"<script>","latencyMs":1}]', 1)).toThrow();
  });
});
