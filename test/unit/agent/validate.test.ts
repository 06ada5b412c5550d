// Every parameter that reaches a host command is validated on the node: injection attempts from an
// order (shell syntax, smuggled options) never match, and argv itself is checked by the executor.
import { describe, expect, it } from "@jest/globals";
import {
  InvalidParameterError, validCIDR, validHostPath, validInterface, validServerURL, validService, validSysctlName, validUnit, validZone,
} from "../../../src/agent/validate.js";
import { checkArgv, HostArgvError, HostExecutor } from "../../../src/agent/host-executor.js";

const INJECTIONS = [
  "cni0; rm -rf /", "--zone=x --remove-interface=eth0", "-x", "$(reboot)", "`id`", "a b", "cni0\n--reload", "../../etc", "", "a|b", "a&&b", "x".repeat(40),
];

describe("validators accept real values", () => {
  it.each([
    [validInterface, ["cni0", "kube-bridge", "flannel.1", "vxlan.calico", "cilium_host", "eth0"]],
    [validZone, ["public", "trusted", "k0s_zone", "my-zone"]],
    [validService, ["k0s-worker", "kubelet-worker", "ssh"]],
    [validCIDR, ["10.244.0.0/16", "10.244.1.0/24", "fd00:10:244::/64", "10.0.0.1/32"]],
    [validSysctlName, ["net.ipv4.ip_forward", "net.ipv4.conf.cni0.forwarding", "net.bridge.bridge-nf-call-iptables", "net.ipv4.conf.flannel/1.forwarding"]],
    [validUnit, ["k3s-agent", "k3s", "rke2-agent", "rke2-server"]],
    [validHostPath, ["/etc/rancher/k3s/config.yaml", "/etc/sysctl.d/90-netmedic.conf", "/var/lib/rancher/k3s/agent/etc/k3s-agent-load-balancer.json"]],
  ])("%p", (validator, values) => {
    for (const value of values) expect((validator as (v: unknown) => string)(value)).toBe(value);
  });
});

describe("validators reject injection and malformed values", () => {
  it.each([
    ["interface", validInterface, [...INJECTIONS, "eth0@if2", "verylonginterfacename0"]],
    ["zone", validZone, INJECTIONS],
    ["service", validService, INJECTIONS],
    ["CIDR", validCIDR, [...INJECTIONS, "10.244.0.0", "10.244.0.0/33", "300.1.1.1/24", "10.0.0.0/8 ; id", "fd00::/129"]],
    ["sysctl", validSysctlName, [...INJECTIONS, "kernel", "net.ipv4.ip_forward=1"]],
    ["unit", validUnit, [...INJECTIONS, "sshd", "firewalld", "k3s-agent; reboot"]],
    ["path", validHostPath, [...INJECTIONS, "etc/passwd", "/etc/../shadow", "/etc/a b", "/etc/$(id)"]],
  ])("%s", (_name, validator, values) => {
    for (const value of values) expect(() => (validator as (v: unknown) => string)(value)).toThrow(InvalidParameterError);
  });
  it("non-strings are rejected", () => {
    for (const value of [undefined, null, 42, ["cni0"], { toString: () => "cni0" }]) expect(() => validInterface(value)).toThrow(InvalidParameterError);
  });
});

describe("validServerURL", () => {
  it.each([
    ["https://10.0.0.12:6443", 6443, "10.0.0.12"],
    ["https://[fd00::12]:9345", 9345, "fd00::12"],
  ])("%s accepted", (url, port, host) => {
    expect(validServerURL(url, port)).toEqual({ url, host });
  });
  it.each([
    ["wrong port for the distribution", "https://10.0.0.12:6443", 9345],
    ["http", "http://10.0.0.12:6443", 6443],
    ["a name, not an address", "https://api.example.com:6443", 6443],
    ["userinfo", "https://u:p@10.0.0.12:6443", 6443],
    ["a path", "https://10.0.0.12:6443/x", 6443],
    ["shell syntax", "https://10.0.0.12:6443; reboot", 6443],
    ["unbracketed IPv6", "https://fd00::12:6443", 6443],
    ["newline", "https://10.0.0.12:6443\ntoken: x", 6443],
  ])("%s rejected", (_name, url, port) => {
    expect(() => validServerURL(url, port)).toThrow(InvalidParameterError);
  });
});

describe("HostExecutor argv checks (refused before anything runs)", () => {
  const host = new HostExecutor(1);
  it.each([
    ["a shell string as one program", ["sh -c 'rm -rf /'"]],
    ["a shell", ["sh", "-c", "id"]],
    ["bash", ["bash", "-c", "id"]],
    ["not allowlisted", ["curl", "http://x"]],
    ["relative path trick", ["./firewall-cmd"]],
  ])("%s", (_name, argv) => {
    expect(() => host.run(argv)).toThrow(HostArgvError);
  });
  it.each([[[]], [["cat", ""]], [["cat", "a\0b"]], [["cat", "a\nb"]]])("malformed argv %j", (argv) => {
    expect(() => checkArgv(argv)).toThrow(HostArgvError);
  });
  it("network-namespace programs must be absolute paths", () => {
    expect(() => host.runInNetwork(["node", "x.js"])).toThrow(HostArgvError);
  });
  it("rejects a bad host PID", () => {
    expect(() => new HostExecutor(0)).toThrow(HostArgvError);
    expect(() => new HostExecutor(1.5)).toThrow(HostArgvError);
  });
});
