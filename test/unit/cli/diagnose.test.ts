import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { cli } from "./run-cli.js";
import { diagnoseSnapshotFile } from "../../../src/cli/diagnose.js";
import { examplesDirectory } from "../../../src/cli/demo.js";
import { parseSnapshot, SnapshotError } from "../../../src/cli/snapshot.js";

describe("the bundled examples", () => {
  it.each([
    ["k0s-firewalld.yaml", { "worker-1": ["RejectingPodTraffic", ["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"]] }],
    ["k3s-etcd-only.yaml", { "etcd-1": ["", []], "cp-1": ["", []], "agent-1": ["EtcdOnlyEndpoint", ["RepointAPIServerEndpoint"]] }],
    ["k3s-ufw.yaml", { "server-1": ["", []], "agent-1": ["UfwBlockingPodTraffic", ["OpenUfw"]] }],
    ["k3s-rp-filter.yaml", { "server-1": ["", []], "agent-1": ["StrictOnPodLinks", ["LoosenReversePathFilter"]] }],
    ["k3s-modules.yaml", { "server-1": ["", []], "agent-1": ["ModuleNotInstalled", []], "agent-2": ["ModuleNotLoaded", ["LoadKernelModules"]] }],
    ["k3s-vxlan-checksum.yaml", { "server-1": ["", []], "agent-1": ["BadChecksums", ["DisableVXLANChecksumOffload"]] }],
    ["k3s-networkmanager.yaml", { "server-1": ["", []], "agent-1": ["ManagingCNILinks", ["UnmanageCNILinks"]] }],
    ["k3s-report-only.yaml", { "server-1": ["", []], "agent-1": ["NearlyFull", []], "agent-2": ["BothBackendsHoldKubeRules", []], "agent-3": ["LoopbackNameserver", []], "agent-4": ["TooLargeForUnderlay", []] }],
    ["healthy.yaml", { "cp-1": ["", []], "worker-1": ["", []] }],
  ] as Array<[string, Record<string, [string, string[]]>]>)("%s → root cause and planned fix per node", (file, expected) => {
    const report = diagnoseSnapshotFile(join(examplesDirectory(), file));
    const actual = Object.fromEntries(report.nodes.map((n) => [n.node, [n.rootCause, n.plan.actions.map((a) => a.split("(")[0])]]));
    expect(actual).toEqual(expected);
  });

  it("k3s behind ufw: the server configured for k3s stays all-True, the agent gets exactly its pod CIDR and node ports", () => {
    const report = diagnoseSnapshotFile(join(examplesDirectory(), "k3s-ufw.yaml"));
    const server = report.nodes.find((n) => n.node === "server-1");
    expect(server?.ready).toBe("True (Healthy)");
    expect(server?.checks.filter((c) => c.status !== "True")).toEqual([]);
    expect(server?.checks.find((c) => c.type === "HostFirewall")).toMatchObject({ reason: "Allowing", message: "ufw lets pod traffic through" });
    expect(report.nodes.find((n) => n.node === "agent-1")?.plan.actions).toEqual(["OpenUfw(podCIDR=10.42.1.0/24, ports=8472/udp,10250/tcp)"]);
  });

  it("rp_filter: the strict agent gets exactly its strict links; loose (Ubuntu), strict without drops (the k0s incident's RHEL-family node) and Calico's own strict links stay True", () => {
    const rp = (file: string, name: string) => diagnoseSnapshotFile(join(examplesDirectory(), file)).nodes.find((n) => n.node === name);
    expect(rp("k3s-rp-filter.yaml", "agent-1")?.plan.actions).toEqual(["LoosenReversePathFilter(links=cni0,flannel.1,veth5c2e8d1a,veth91b0f7c4)"]);
    const check = (file: string, name: string) => rp(file, name)?.checks.find((c) => c.type === "ReversePathFilter");
    expect(check("k3s-rp-filter.yaml", "server-1")).toMatchObject({ status: "True", reason: "NotStrict" });
    expect(check("k0s-firewalld.yaml", "worker-1")).toMatchObject({ status: "True", reason: "StrictWithoutDrops" });
    expect(check("healthy.yaml", "worker-1")).toMatchObject({ status: "True", reason: "ManagedByCNI" });
  });

  it("kernel modules: a module not installed names its package and plans nothing; one installed is loaded; k0s (kube-router) needs no vxlan", () => {
    const nodes = diagnoseSnapshotFile(join(examplesDirectory(), "k3s-modules.yaml")).nodes;
    expect(nodes.find((n) => n.node === "agent-1")?.plan.message).toBe("vxlan cannot be loaded: not installed for kernel 6.8.0-1015-raspi; install linux-modules-extra-raspi (Ubuntu)");
    expect(nodes.find((n) => n.node === "agent-2")?.plan.actions).toEqual(["LoadKernelModules(modules=vxlan)"]);
    const k0s = diagnoseSnapshotFile(join(examplesDirectory(), "k0s-firewalld.yaml")).nodes.find((n) => n.node === "worker-1");
    expect(k0s?.checks.find((c) => c.type === "KernelModules")).toMatchObject({ status: "True", reason: "Loaded" });
  });

  it("the k3s re-point targets the live apiserver from default/kubernetes", () => {
    const report = diagnoseSnapshotFile(join(examplesDirectory(), "k3s-etcd-only.yaml"));
    expect(report.nodes.find((n) => n.node === "agent-1")?.plan.actions).toEqual(["RepointAPIServerEndpoint(server=https://192.168.10.21:6443)"]);
  });
});

describe("netmedic demo", () => {
  it("prints the root cause and fix of both incidents and 'healthy' for the healthy cluster", async () => {
    const { code, stdout } = await cli(["demo"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/✘ worker-1: root cause RejectingPodTraffic/);
    expect(stdout).toMatch(/1\. OpenHostFirewall\(egressZone=public, podCIDR=10\.244\.0\.0\/24, podInterface=kube-bridge, service=k0s-worker\)/);
    expect(stdout).toMatch(/✘ agent-1: root cause EtcdOnlyEndpoint/);
    expect(stdout).toMatch(/✘ agent-1: root cause UfwBlockingPodTraffic/);
    expect(stdout).toMatch(/1\. RepointAPIServerEndpoint\(server=https:\/\/192\.168\.10\.21:6443\)/);
    expect(stdout).toMatch(/=== healthy kubeadm cluster[^\n]*\n✔ cp-1: healthy\n✔ worker-1: healthy\n/);
  });
});

describe("netmedic diagnose: output formats", () => {
  const parsers: Array<[string, (text: string) => unknown]> = [["json", (text) => JSON.parse(text)], ["yaml", (text) => parse(text)]];
  it.each(parsers)("-o %s is machine-readable", async (format, parser) => {
    const { code, stdout } = await cli(["diagnose", "--snapshot", join(examplesDirectory(), "k0s-firewalld.yaml"), "-o", format]);
    expect(code).toBe(0);
    const report = parser(stdout) as { capturedAt: string; nodes: Array<{ node: string; rootCause: string }> };
    expect(report.capturedAt).toBe("2025-05-05T16:50:00.000Z");
    expect(report.nodes).toEqual([expect.objectContaining({ node: "worker-1", rootCause: "RejectingPodTraffic" })]);
  });
});

describe("netmedic diagnose: bad input → one clear line, non-zero exit, no stack trace", () => {
  let dir = "";
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "netmedic-cli-")); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => { const path = join(dir, name); writeFileSync(path, text); return path; };

  it.each([
    ["not YAML", "a: [unclosed\n  b: {", /not valid YAML/],
    ["a wrong kind", "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n", /document 1: kind Secret is not supported in a snapshot \(supported: Node, /],
    ["a Node without a name", "apiVersion: v1\nkind: Node\nmetadata: {}\n", /document 1 \(Node\): metadata.name is required/],
    ["no Node at all", "apiVersion: v1\nkind: Endpoints\nmetadata: {name: kubernetes, namespace: default}\n", /holds no Node/],
    ["a scalar document", "just a string\n", /document 1: not a Kubernetes object/],
    ["a List without items", "apiVersion: v1\nkind: List\n", /List without items/],
    ["a bad capturedAt", "apiVersion: netmedic.io/v1alpha1\nkind: SnapshotInfo\ncapturedAt: yesterday\n", /capturedAt \(RFC 3339\) is required/],
    ["log lines that are not strings", "apiVersion: netmedic.io/v1alpha1\nkind: PodLogExcerpt\nmetadata: {name: p}\nlines: [{a: 1}]\n", /lines \(a list of strings\)/],
    ["an empty file", "", /no objects in the snapshot/],
  ])("%s", async (name, text, message) => {
    const { code, stdout, stderr } = await cli(["diagnose", "--snapshot", file(`${name.replace(/\W/g, "_")}.yaml`, text)]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ["a missing file", ["diagnose", "--snapshot", "/nonexistent/snap.yaml"], /cannot read snapshot \/nonexistent\/snap.yaml: ENOENT/],
    ["an unknown flag", ["diagnose", "--frobnicate"], /Unknown option '--frobnicate'/],
    ["a bad output format", ["diagnose", "--snapshot", "x", "-o", "xml"], /--output: expected text, json or yaml \(got "xml"\)/],
    ["an unknown command", ["frobnicate"], /unknown command "frobnicate"/],
  ])("%s", async (_name, args, message) => {
    const { code, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it("parseSnapshot throws SnapshotError (not a generic error) for user mistakes", () => {
    expect(() => parseSnapshot("kind: Widget\n", "x.yaml", "2025-01-01T00:00:00Z")).toThrow(SnapshotError);
  });
});
