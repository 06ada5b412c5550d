// Kernel modules in the core: which modules a node needs (overlay and nf_conntrack everywhere,
// vxlan on k3s/RKE2 with their default VXLAN overlay), the KernelModules verdict and the
// LoadKernelModules plan — table-driven, including the nodes where nothing may misfire (built-in
// modules, a kernel without module support, another flannel backend).
import { describe, expect, it } from "@jest/globals";
import type { HostFacts, KernelModuleState } from "../../../src/api/index.js";
import { diagnoseNode } from "../../../src/core/index.js";
import { packageHint } from "../../../src/core/checks-modules.js";
import { health, healthyFacts, konnectivityPod, node, observe, probe } from "../../fixtures/cluster.js";

const WORKER = "worker-1";
const RELEASE = "6.8.0-1015-raspi";
type State = KernelModuleState["state"];
const modules = (states: Record<string, State>): HostFacts["kernelModules"] =>
  ({ release: RELEASE, modules: Object.entries({ overlay: "loaded", nf_conntrack: "loaded", br_netfilter: "loaded", vxlan: "loaded", ...states }).map(([name, state]) => ({ name, state: state as State })) });

function diagnosed(distribution: HostFacts["distribution"], kernelModules: HostFacts["kernelModules"], nodeArgs?: string) {
  const facts = healthyFacts({ distribution, ...(kernelModules ? { kernelModules } : {}) });
  if (!kernelModules) delete facts.kernelModules;
  const annotations: Record<string, string> = nodeArgs ? { "k3s.io/node-args": nodeArgs } : {};
  const observation = observe({
    nodes: [node(WORKER, "192.168.1.42", { annotations })],
    pods: [konnectivityPod(WORKER)],
    healths: [health(WORKER, { facts, probes: [probe("Host", "Konnectivity", "ok"), probe("Pod", "Konnectivity", "ok")] })],
  });
  const diagnosis = diagnoseNode(observation, WORKER, 750);
  if (!diagnosis) throw new Error("no diagnosis");
  return diagnosis;
}

describe("packageHint", () => {
  it.each([
    ["6.8.0-1015-raspi", "linux-modules-extra-raspi (Ubuntu)"], ["6.8.0-49-generic", "linux-modules-extra-6.8.0-49-generic (Ubuntu)"],
    ["5.14.0-427.13.1.el9_4.x86_64", "kernel-modules-extra-5.14.0-427.13.1.el9_4.x86_64 (RHEL family, Fedora)"],
    ["5.15.0-300.163.18.el9uek.x86_64", "kernel-uek-modules-extra-5.15.0-300.163.18.el9uek.x86_64 (Oracle Linux UEK)"], ["6.1.0-28-amd64", "the package that ships kernel 6.1.0-28-amd64's extra modules"],
  ])("%s → %s", (release, hint) => {
    expect(packageHint(release)).toBe(hint);
  });
});

describe("KernelModules verdict and plan", () => {
  it.each([
    ["all loaded", "k3s", modules({}), undefined, "True", "Loaded"],
    ["built into the kernel (no module support: this image's kernel)", "k3s", modules({ overlay: "builtin", nf_conntrack: "builtin", vxlan: "builtin", br_netfilter: "unknown" }), undefined, "True", "Loaded"],
    ["vxlan installed but not loaded on k3s", "k3s", modules({ vxlan: "available" }), undefined, "False", "ModuleNotLoaded"],
    ["vxlan not installed on k3s (Ubuntu raspi without linux-modules-extra)", "k3s", modules({ vxlan: "notInstalled" }), undefined, "False", "ModuleNotInstalled"],
    ["vxlan absent on k0s (kube-router needs none)", "k0s", modules({ vxlan: "notInstalled" }), undefined, "True", "Loaded"],
    ["vxlan absent on k3s with flannel-backend=host-gw", "k3s", modules({ vxlan: "notInstalled" }), '["agent","--flannel-backend","host-gw"]', "True", "Loaded"],
    ["overlay not loaded anywhere", "kubeadm", modules({ overlay: "available" }), undefined, "False", "ModuleNotLoaded"],
    ["nf_conntrack cannot be placed", "kubeadm", modules({ nf_conntrack: "unknown" }), undefined, "Unknown", "Unknown"],
    ["br_netfilter is BridgeNetfilter's, not judged here", "kubeadm", modules({ br_netfilter: "notInstalled" }), undefined, "True", "Loaded"],
  ])("%s → %s %s", (_name, distribution, facts, args, status, reason) => {
    expect(diagnosed(distribution as HostFacts["distribution"], facts, args).checks.KernelModules).toMatchObject({ status, reason });
  });

  it("no kernel module facts from an agent that reported others: Unknown, never a guess", () => {
    expect(diagnosed("k3s", undefined).checks.KernelModules).toMatchObject({ status: "Unknown", message: expect.stringContaining("not reported") });
  });

  it("installed but not loaded: LoadKernelModules with exactly those modules", () => {
    const d = diagnosed("k3s", modules({ vxlan: "available", overlay: "available" }));
    expect(d.checks.KernelModules.evidence).toEqual([`kernel ${RELEASE}: overlay available, nf_conntrack loaded, br_netfilter loaded, vxlan available`]);
    expect(d.rootCause).toBe("ModuleNotLoaded");
    expect(d.fixes).toEqual([{ action: "LoadKernelModules", reason: "ModuleNotLoaded", modules: ["overlay", "vxlan"] }]);
  });

  it("not installed: no fix, the package is named", () => {
    const d = diagnosed("k3s", modules({ vxlan: "notInstalled" }));
    expect(d.checks.KernelModules.message).toBe("vxlan not in kernel 6.8.0-1015-raspi nor its module tree: install linux-modules-extra-raspi (Ubuntu)");
    expect(d.fixes).toEqual([]);
    expect(d.noFixReason).toBe("vxlan cannot be loaded: not installed for kernel 6.8.0-1015-raspi; install linux-modules-extra-raspi (Ubuntu)");
  });
});
