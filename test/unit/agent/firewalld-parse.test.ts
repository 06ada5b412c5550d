// firewall-cmd outputs as firewalld 1.3 prints them (captured from the node lab's real firewalld).
import { describe, expect, it } from "@jest/globals";
import {
  changeOutcome, parseFirewalldState, parseQuery, parseZoneListings, parseZoneOf, zoneAccepts, zoneOfInterface, zoneOfSource, zoneTarget,
} from "../../../src/agent/firewalld-parse.js";
import { firewallFactsFromZones } from "../../../src/agent/firewalld-facts.js";

const zoneBlock = (header: string, fields: Record<string, string>): string => {
  const defaults: Record<string, string> = {
    target: "default", "icmp-block-inversion": "no", interfaces: "", sources: "", services: "", ports: "", protocols: "",
    forward: "yes", masquerade: "no", "forward-ports": "", "source-ports": "", "icmp-blocks": "", "rich rules": "",
  };
  return [header, ...Object.entries({ ...defaults, ...fields }).map(([k, v]) => `  ${k}: ${v}`)].join("\n") + "\n";
};

const ALL_ZONES = [
  zoneBlock("block", { target: "%%REJECT%%" }),
  zoneBlock("drop", { target: "DROP" }),
  zoneBlock("external", { services: "ssh", masquerade: "yes" }),
  zoneBlock("public", { services: "dhcpv6-client ssh" }),
  zoneBlock("trusted (active)", { target: "ACCEPT", interfaces: "cni0", sources: "10.244.0.0/16" }),
  zoneBlock("work", { services: "dhcpv6-client ssh" }),
].join("");

describe("parseFirewalldState", () => {
  it.each([
    ["running", 0, "running\n", "", "running"],
    ["stopped: stderr, exit 252", 252, "", "not running\n", "notRunning"],
    ["firewall-cmd absent (nsenter exec fails)", 127, "", "nsenter: failed to execute firewall-cmd: No such file or directory\n", "notInstalled"],
    ["something else", 1, "", "Traceback (most recent call last):\n", undefined],
  ])("%s", (_name, code, stdout, stderr, expected) => {
    expect(parseFirewalldState(code, stdout, stderr)).toBe(expected);
  });
});

describe("parseZoneOf", () => {
  it.each([
    ["assigned", 0, "trusted\n", "", "trusted"],
    ["no zone (exit 2, stderr)", 2, "", "no zone\n", ""],
    ["error", 112, "", "Error: INVALID_ZONE\n", undefined],
    ["garbage on stdout", 0, "a zone; rm -rf /\n", "", undefined],
  ])("%s", (_name, code, stdout, stderr, expected) => {
    expect(parseZoneOf(code, stdout, stderr)).toBe(expected);
  });
});

describe("parseZoneListings", () => {
  const zones = parseZoneListings(ALL_ZONES);
  it("reads every zone with its target, interfaces, sources, services and masquerade", () => {
    expect([...zones.keys()]).toEqual(["block", "drop", "external", "public", "trusted", "work"]);
    expect(zones.get("trusted")).toEqual({ name: "trusted", target: "ACCEPT", interfaces: ["cni0"], sources: ["10.244.0.0/16"], services: [], masquerade: false });
    expect(zones.get("public")?.services).toEqual(["dhcpv6-client", "ssh"]);
    expect(zones.get("external")?.masquerade).toBe(true);
  });
  it("normalizes targets and answers membership", () => {
    expect(zoneTarget(zones.get("block"))).toBe("REJECT");
    expect(zoneOfInterface(zones, "cni0")).toBe("trusted");
    expect(zoneOfInterface(zones, "eth0")).toBe("");
    expect(zoneOfSource(zones, "10.244.0.0/16")).toBe("trusted");
    expect(zoneAccepts(zones.get("trusted"))).toBe(true);
    expect(zoneAccepts(zones.get("public"))).toBe(false);
  });
  it("ignores rich-rule continuation lines", () => {
    const text = `public\n  target: default\n  rich rules: \n\trule family="ipv4" source address="1.2.3.4" accept\n  masquerade: yes\n`;
    expect(parseZoneListings(text).get("public")?.masquerade).toBe(true);
  });
});

describe("firewallFactsFromZones", () => {
  it("k0s incident: pod bridge in no zone, default zone public without masquerade", () => {
    const zones = parseZoneListings([zoneBlock("public", { services: "dhcpv6-client ssh" }), zoneBlock("trusted", { target: "ACCEPT" })].join(""));
    expect(firewallFactsFromZones(zones, "public", { interface: "cni0", cidr: "10.244.1.0/24" }, "eth0")).toEqual({
      manager: "firewalld", state: "running", defaultZone: "public", podInterfaceZone: "", egressZone: "public", egressMasquerade: false,
      podTrafficTrusted: false, trustedSources: [], services: ["dhcpv6-client", "ssh"], forwardPolicy: "default",
    });
  });
  it("healed: cni0 trusted, masquerade on public (the uplink is in no zone)", () => {
    const zones = parseZoneListings([zoneBlock("public", { masquerade: "yes" }), zoneBlock("trusted", { target: "ACCEPT", interfaces: "cni0" })].join(""));
    const facts = firewallFactsFromZones(zones, "public", { interface: "cni0" }, "eth0");
    expect([facts.podInterfaceZone, facts.podTrafficTrusted, facts.egressZone, facts.egressMasquerade, facts.forwardPolicy]).toEqual(["trusted", true, "public", true, "ACCEPT"]);
  });
  it("pod CIDR trusted as a source; uplink in its own zone", () => {
    const zones = parseZoneListings([zoneBlock("internal", { interfaces: "eth1", masquerade: "yes" }), zoneBlock("trusted", { target: "ACCEPT", sources: "10.42.0.0/24" }), zoneBlock("public", {})].join(""));
    const facts = firewallFactsFromZones(zones, "public", { interface: "cni0", cidr: "10.42.0.0/24" }, "eth1");
    expect([facts.podTrafficTrusted, facts.egressZone, facts.egressMasquerade, facts.trustedSources]).toEqual([true, "internal", true, ["10.42.0.0/24"]]);
  });
});

describe("changeOutcome and parseQuery", () => {
  it.each([
    ["success", 0, "", "applied"],
    ["already enabled (warning, exit 0)", 0, "Warning: ALREADY_ENABLED: masquerade already enabled in 'public'\n", "already"],
    ["zone already set", 0, "Warning: ZONE_ALREADY_SET: '10.244.0.0/16' already bound to 'trusted'\n", "already"],
    ["zone conflict", 18, "Error: ZONE_CONFLICT: '10.244.0.0/16' already bound to a zone\n", "failed"],
    ["invalid service", 101, "Error: INVALID_SERVICE: k0s-worker\n", "failed"],
  ])("%s", (_name, code, stderr, expected) => {
    expect(changeOutcome(code, stderr)).toBe(expected);
  });
  it.each([[0, "yes\n", true], [1, "no\n", false], [101, "", undefined]])("query exit %s %j → %s", (code, stdout, expected) => {
    expect(parseQuery(code, stdout)).toBe(expected);
  });
});
