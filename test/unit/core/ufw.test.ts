// ufw in the core: tuples as ufw 0.36 records them in /etc/ufw/user.rules (recorded on this image),
// which allowances hold under which rules and policies, and the HostFirewall verdict and plan for
// ufw nodes — table-driven, including the nodes where nothing may misfire.
import { describe, expect, it } from "@jest/globals";
import type { HostFacts, UfwFacts } from "../../../src/api/index.js";
import { diagnoseNode } from "../../../src/core/index.js";
import { allowanceHolds, cidrCovers, missingAllowances, parseUfwTuple, requiredAllowances, type UfwAllowance } from "../../../src/core/ufw-rules.js";
import { health, healthyFacts, konnectivityPod, node, observe, probe } from "../../fixtures/cluster.js";

const POD = "10.42.1.0/24";
const NEEDS = { podCIDR: POD, ports: ["8472/udp", "10250/tcp"] };
const DROP = { defaultInputPolicy: "DROP", defaultForwardPolicy: "DROP" };
const byKind = (kind: UfwAllowance["kind"], value: string) => requiredAllowances(NEEDS).find((a) => a.kind === kind && a.value === value) as UfwAllowance;

describe("parseUfwTuple", () => {
  it.each([
    ["route:allow any any 0.0.0.0/0 any 10.42.0.0/16 in", { route: true, action: "allow", protocol: "any", toPort: "any", to: "0.0.0.0/0", from: "10.42.0.0/16", direction: "in" }],
    ["allow udp 8472 0.0.0.0/0 any 192.168.1.0/24 in", { route: false, protocol: "udp", toPort: "8472", from: "192.168.1.0/24" }],
    ["allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in_cni0 comment=7373682068657265", { toPort: "22", direction: "in_cni0" }],
    ["route:allow any any 0.0.0.0/0 any 0.0.0.0/0 in_cni0!out_lo", { route: true, direction: "in_cni0!out_lo" }],
    ["allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in", { protocol: "tcp", toPort: "22", direction: "in" }],
    ["limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in", { action: "limit" }],
  ])("%s", (text, expected) => {
    expect(parseUfwTuple(text)).toMatchObject(expected);
  });
  it.each(["", "allow tcp 22", "allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 sideways"])("not a tuple: %j", (text) => {
    expect(parseUfwTuple(text)).toBeUndefined();
  });
});

describe("cidrCovers", () => {
  it.each([
    ["0.0.0.0/0", POD, true], ["10.42.0.0/16", POD, true], [POD, POD, true], ["10.42.1.0/25", POD, false],
    ["10.43.0.0/16", POD, false], ["10.42.1.7", "10.42.1.7/32", true], ["any", POD, true], ["fd00::/8", POD, false], ["10.0.0.0/8", "fd00::/64", false],
  ])("%s covers %s: %s", (outer, inner, expected) => {
    expect(cidrCovers(outer, inner)).toBe(expected);
  });
});

describe("allowanceHolds", () => {
  const rules = (...tuples: string[]) => tuples.map((t) => parseUfwTuple(t)!);
  it.each([
    ["routed from: a route rule from the cluster CIDR", byKind("routeFrom", POD), rules("route:allow any any 0.0.0.0/0 any 10.42.0.0/16 in"), DROP, true],
    ["routed from: only the reverse direction", byKind("routeFrom", POD), rules("route:allow any any 10.42.0.0/16 any 0.0.0.0/0 in"), DROP, false],
    ["routed from: limited to one port", byKind("routeFrom", POD), rules("route:allow tcp 443 0.0.0.0/0 any 10.42.0.0/16 in"), DROP, false],
    ["routed from: an incoming (not routed) rule", byKind("routeFrom", POD), rules("allow any any 0.0.0.0/0 any 10.42.0.0/16 in"), DROP, false],
    ["routed from: forward policy ACCEPT", byKind("routeFrom", POD), [], { ...DROP, defaultForwardPolicy: "ACCEPT" }, true],
    ["routed to: a route rule to the pod CIDR", byKind("routeTo", POD), rules(`route:allow any any ${POD} any 0.0.0.0/0 in`), DROP, true],
    ["in from: k3s docs' `ufw allow from 10.42.0.0/16`", byKind("inFrom", POD), rules("allow any any 0.0.0.0/0 any 10.42.0.0/16 in"), DROP, true],
    ["in from: a deny rule", byKind("inFrom", POD), rules("deny any any 0.0.0.0/0 any 10.42.0.0/16 in"), DROP, false],
    ["in from: input policy ACCEPT", byKind("inFrom", POD), [], { ...DROP, defaultInputPolicy: "ACCEPT" }, true],
    ["port: allow 8472/udp", byKind("port", "8472/udp"), rules("allow udp 8472 0.0.0.0/0 any 0.0.0.0/0 in"), DROP, true],
    ["port: source-limited to the node network (the admin's choice)", byKind("port", "8472/udp"), rules("allow udp 8472 0.0.0.0/0 any 192.168.1.0/24 in"), DROP, true],
    ["port: tcp rule for a udp port", byKind("port", "8472/udp"), rules("allow tcp 8472 0.0.0.0/0 any 0.0.0.0/0 in"), DROP, false],
    ["port: in a range and a list", byKind("port", "10250/tcp"), rules("allow tcp 80,10000:11000 0.0.0.0/0 any 0.0.0.0/0 in"), DROP, true],
    ["port: a rule from the pod CIDR for all ports is not a node-port rule", byKind("port", "8472/udp"), rules("allow any any 0.0.0.0/0 any 10.42.0.0/16 in"), DROP, false],
    ["port: allow everything from anywhere", byKind("port", "8472/udp"), rules("allow any any 0.0.0.0/0 any 0.0.0.0/0 in"), DROP, true],
    ["port: limit is not allow", byKind("port", "10250/tcp"), rules("limit tcp 10250 0.0.0.0/0 any 0.0.0.0/0 in"), DROP, false],
  ])("%s → %s", (_name, allowance, ruleList, policies, expected) => {
    expect(allowanceHolds(allowance, ruleList, policies)).toBe(expected);
  });

  it("the ufw arguments add the IPv4 rule only and delete exactly it", () => {
    expect(requiredAllowances({ ...NEEDS, serviceCIDR: "10.43.0.0/16" }).map((a) => [a.add.join(" "), a.remove.join(" ")])).toEqual([
      [`route allow from ${POD}`, `route delete allow from ${POD}`], [`route allow to ${POD}`, `route delete allow to ${POD}`], [`allow from ${POD}`, `delete allow from ${POD}`],
      ["route allow from 10.43.0.0/16", "route delete allow from 10.43.0.0/16"], ["route allow to 10.43.0.0/16", "route delete allow to 10.43.0.0/16"],
      ["allow from 10.43.0.0/16", "delete allow from 10.43.0.0/16"],
      ["allow proto udp from 0.0.0.0/0 to any port 8472", "delete allow proto udp from 0.0.0.0/0 to any port 8472"],
      ["allow proto tcp from 0.0.0.0/0 to any port 10250", "delete allow proto tcp from 0.0.0.0/0 to any port 10250"],
    ]);
  });

  it("missingAllowances is undefined when the rules or policies are unknown", () => {
    expect(missingAllowances({ state: "active", ...DROP }, NEEDS)).toBeUndefined();
    expect(missingAllowances({ state: "active", defaultInputPolicy: "DROP", rules: [] }, NEEDS)).toBeUndefined();
    expect(missingAllowances({ state: "active", ...DROP, rules: [] }, NEEDS)?.map((a) => a.kind)).toEqual(["routeFrom", "routeTo", "inFrom", "port", "port"]);
  });
});

const ACTIVE: UfwFacts = { state: "active", enabledAtBoot: true, ...DROP, defaults: "deny (incoming), allow (outgoing), deny (routed)", rules: [] };
const OPEN_RULES = [
  "route:allow any any 0.0.0.0/0 any 10.42.0.0/16 in", "route:allow any any 10.42.0.0/16 any 0.0.0.0/0 in", "allow any any 0.0.0.0/0 any 10.42.0.0/16 in",
  "allow udp 8472 0.0.0.0/0 any 0.0.0.0/0 in", "allow tcp 10250 0.0.0.0/0 any 0.0.0.0/0 in",
];
const k3sFacts = (ufw: UfwFacts | undefined, firewall: HostFacts["firewall"] = { manager: "none", state: "notInstalled" }): HostFacts =>
  healthyFacts({ distribution: "k3s", podNetwork: { interface: "cni0", cidr: POD }, firewall, ...(ufw ? { ufw } : {}) });

describe("HostFirewall on ufw nodes (diagnosis and plan)", () => {
  const W = "agent-1";
  const cases: Array<[string, HostFacts, string, string, string[]]> = [
    ["no ufw facts (an older agent), no firewalld", k3sFacts(undefined), "ok", "NotPresent", []],
    ["ufw not installed", k3sFacts({ state: "notInstalled" }), "ok", "NotPresent", []],
    ["ufw inactive", k3sFacts({ state: "inactive", enabledAtBoot: false, ...DROP, rules: [] }), "ok", "NotRunning", []],
    ["ufw active, default deny routed, no rules: the k3s-on-Ubuntu fault", k3sFacts(ACTIVE), "ETIMEDOUT", "UfwBlockingPodTraffic", ["OpenUfw"]],
    ["ufw active, configured per the k3s docs and routed", k3sFacts({ ...ACTIVE, rules: OPEN_RULES }), "ok", "Allowing", []],
    ["ufw active, forward and input policy ACCEPT", k3sFacts({ ...ACTIVE, defaultInputPolicy: "ACCEPT", defaultForwardPolicy: "ACCEPT", rules: [] }), "ok", "Allowing", []],
    ["ufw active, only routed-from missing but the pod probe gets through", k3sFacts({ ...ACTIVE, rules: OPEN_RULES.slice(1) }), "ok", "Allowing", []],
    ["ufw active per the k3s docs (no route rules), flannel's FORWARD rules letting the pod probe through", k3sFacts({ ...ACTIVE, rules: OPEN_RULES.slice(2) }), "ok", "Allowing", []],
    ["ufw active per the k3s docs (no route rules), the pod probe timing out", k3sFacts({ ...ACTIVE, rules: OPEN_RULES.slice(2) }), "ETIMEDOUT", "UfwBlockingPodTraffic", ["OpenUfw"]],
    ["ufw active, only the VXLAN port missing: still blocking", k3sFacts({ ...ACTIVE, rules: OPEN_RULES.filter((r) => !r.includes("8472")) }), "ok", "UfwBlockingPodTraffic", ["OpenUfw"]],
    ["ufw active, rules unreadable", k3sFacts({ ...ACTIVE, rules: undefined }), "ETIMEDOUT", "Unknown", []],
    ["ufw state unknown (ufw status failed)", k3sFacts({ state: "unknown", enabledAtBoot: true }), "ETIMEDOUT", "Unknown", []],
    ["firewalld rejecting and ufw inactive: firewalld's verdict", k3sFacts({ state: "inactive", ...DROP, rules: [] }, { manager: "firewalld", state: "running", podTrafficTrusted: false, egressMasquerade: true }), "EHOSTUNREACH", "RejectingPodTraffic", ["OpenHostFirewall"]],
    ["firewalld allowing but ufw blocking: ufw's verdict", k3sFacts(ACTIVE, { manager: "firewalld", state: "running", podTrafficTrusted: true, egressMasquerade: true }), "ETIMEDOUT", "UfwBlockingPodTraffic", ["OpenUfw"]],
  ];
  it.each(cases)("%s → %s", (_name, facts, podResult, reason, fixes) => {
    const observation = observe({ nodes: [node(W, "192.168.1.42")], pods: [konnectivityPod(W)], endpoints: ["192.168.1.41"],
      healths: [health(W, { facts, probes: [probe("Pod", "Konnectivity", podResult), probe("Host", "Konnectivity", "ok")] })] });
    const diagnosis = diagnoseNode(observation, W, 120)!;
    expect(diagnosis.checks.HostFirewall.reason).toBe(reason);
    expect(diagnosis.fixes.map((f) => f.action)).toEqual(fixes);
  });

  it("plans the pod CIDR, the service CIDR from the node's k3s args and a server's ports; the message names what is missing", () => {
    const annotations = { "k3s.io/node-args": JSON.stringify(["server", "--service-cidr", "10.43.0.0/16", "--token", "********"]) };
    const observation = observe({ nodes: [node(W, "192.168.1.42", { labels: { "node-role.kubernetes.io/control-plane": "true" }, annotations })], endpoints: ["192.168.1.42"],
      healths: [health(W, { facts: k3sFacts({ ...ACTIVE, rules: OPEN_RULES.slice(0, 3) }), probes: [probe("Host", "APIServer", "ok", "192.168.1.42:6443")] })] });
    const diagnosis = diagnoseNode(observation, W, 120)!;
    expect(diagnosis.fixes).toEqual([{ action: "OpenUfw", reason: "UfwBlockingPodTraffic", podCIDR: POD, serviceCIDR: "10.43.0.0/16", ports: ["8472/udp", "10250/tcp", "6443/tcp"] }]);
    expect(diagnosis.checks.HostFirewall.message).toBe("ufw (default: deny (incoming), allow (outgoing), deny (routed)) drops pod traffic: nothing allows "
      + "routed from 10.43.0.0/16, routed to 10.43.0.0/16, in from 10.43.0.0/16, in to 8472/udp, in to 10250/tcp, in to 6443/tcp");
  });
});
