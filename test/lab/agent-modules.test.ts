// Kernel modules on the node lab (issue 19: flannel #1502, #1747, k3s #7155). This machine's kernel
// has no module support (no /proc/modules: overlay, nf_conntrack and vxlan are built in), and a
// test may never load or unload a module here. So: (1) the agent reads the real kernel and a k3s
// node needing vxlan is all-True — the built-ins found through /sys/module; (2) a module-tree view
// in the worker's own mount namespace — a tmpfs over /sys/module showing only overlay and
// nf_conntrack, and a tmpfs /usr/lib/modules/<release> holding a modules.dep without vxlan — is
// diagnosed ModuleNotInstalled, report-only, with the package named; (3) with vxlan listed in that
// modules.dep (and no .ko file anywhere in the view, so nothing can be loaded) the core plans
// LoadKernelModules and the agent runs it for real: modules-load.d written in the lab's /etc, the
// real modprobe fails, the write is rolled back. A load that succeeds is shown only against a
// recording host (test/unit/agent/kernel-modules.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import type { NetworkHealth, PlannedAction } from "../../src/api/index.js";
import type { Agent } from "../../src/agent/agent.js";
import { MODULES_CONF } from "../../src/agent/conf-files.js";
import { startLab, type Lab } from "../support/lab/index.js";
import { captureLogger, machineState, MemoryNetworkHealthStore, startLabAgent } from "./agent-support.js";
import { diagnoseLabNode, inWorker, makeK3sUfwNode, reasons } from "./ufw-node.js";

const RELEASE = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
const TREE = `/usr/lib/modules/${RELEASE}`;

/** In the worker's mount namespace only: /sys/module with just `builtins`, and an empty module tree for this kernel. */
async function moduleTreeView(lab: Lab, builtins: string[]): Promise<void> {
  await inWorker(lab, "mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", "/sys/module");
  for (const name of builtins) await inWorker(lab, "mkdir", `/sys/module/${name}`);
  await inWorker(lab, "mkdir", "-p", "/tmp/usr-lib/upper", "/tmp/usr-lib/work");
  await inWorker(lab, "mount", "-t", "overlay", "overlay", "-o", "lowerdir=/usr/lib,upperdir=/tmp/usr-lib/upper,workdir=/tmp/usr-lib/work", "/usr/lib");
  await inWorker(lab, "mkdir", "-p", "/usr/lib/modules");
  await inWorker(lab, "mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", "/usr/lib/modules");
  await inWorker(lab, "mkdir", TREE);
  for (const file of ["modules.builtin", "modules.dep"]) await inWorker(lab, "touch", `${TREE}/${file}`);
}

describe("agent on a k3s lab node: kernel modules read for real, a module-tree view diagnosed, LoadKernelModules run and rolled back", () => {
  let lab: Lab;
  let agent: Agent;
  let store: MemoryNetworkHealthStore;
  let before: Record<string, unknown>;
  const treeBefore = existsSync("/usr/lib/modules");
  const { logger } = captureLogger();
  const status = () => store.object?.status ?? {};
  const diagnosis = () => diagnoseLabNode(lab, store.object as NetworkHealth);
  const order = (orderId: string, actions: PlannedAction[]) => store.order(orderId, actions);
  const resultsOf = (orderId: string) => store.resultsOf(orderId);

  beforeAll(async () => {
    before = await machineState();
    lab = await startLab({ firewalld: false, ipForward: 1, bridgeNfCallIptables: 1 });
    await makeK3sUfwNode(lab);
    ({ agent, store } = await startLabAgent(lab, logger));
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it("this kernel as it is: no /proc/modules, the built-ins in /sys/module; a k3s node needing vxlan is all-True (no misfire)", async () => {
    expect(existsSync("/proc/modules")).toBe(false);
    await agent.round();
    const modules = Object.fromEntries((status().facts?.kernelModules?.modules ?? []).map((m) => [m.name, m.state]));
    expect(status().facts?.kernelModules?.release).toBe(RELEASE);
    expect(modules).toMatchObject({ overlay: "builtin", nf_conntrack: "builtin", vxlan: "builtin" });
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", KernelModules: "Loaded" });
  }, 60_000);

  it("a module tree without vxlan: ModuleNotInstalled, no fix, the package named", async () => {
    await moduleTreeView(lab, ["overlay", "nf_conntrack"]);
    await inWorker(lab, "sh", "-c", `printf '%s\\n' 'kernel/fs/overlayfs/overlay.ko:' 'kernel/net/netfilter/nf_conntrack.ko: kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko' > ${TREE}/modules.dep`);
    await agent.round();
    expect(status().facts?.kernelModules?.modules).toContainEqual({ name: "vxlan", state: "notInstalled" });
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Degraded", KernelModules: "ModuleNotInstalled" });
    expect(d.fixes).toEqual([]);
    expect(d.noFixReason).toBe(`vxlan cannot be loaded: not installed for kernel ${RELEASE}; install the package that ships kernel ${RELEASE}'s extra modules`);
  }, 60_000);

  it("vxlan listed but no module file in the view: LoadKernelModules planned, the real modprobe fails, modules-load.d rolled back", async () => {
    await inWorker(lab, "sh", "-c", `printf '%s\\n' 'kernel/drivers/net/vxlan/vxlan.ko: kernel/net/ipv4/udp_tunnel.ko' >> ${TREE}/modules.dep`);
    expect((await inWorker(lab, "find", "/usr/lib/modules", "-name", "*.ko*")).trim()).toBe("");
    await agent.round();
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ KernelModules: "ModuleNotLoaded" });
    expect(d.fixes).toEqual([{ action: "LoadKernelModules", reason: "ModuleNotLoaded", modules: ["vxlan"] }]);
    order("km-o1", d.fixes);
    await agent.round();
    expect(resultsOf("km-o1")).toEqual([expect.objectContaining({ result: "Failed", detail: expect.stringMatching(/^modprobe vxlan exited 1: modprobe: .*; rolled back 1 change\(s\)$/) })]);
    expect(existsSync(lab.scratchPathOf(MODULES_CONF))).toBe(false);
  }, 60_000);

  it("an order naming a module netmedic does not know is refused before any command", async () => {
    order("km-o2", [{ action: "LoadKernelModules", modules: ["--first-time"] }]);
    await agent.round();
    expect(resultsOf("km-o2")).toEqual([expect.objectContaining({ result: "Failed", detail: 'invalid module "--first-time"' })]);
  }, 60_000);

  it("this machine's kernel, /etc/modules-load.d and network never changed", async () => {
    expect(existsSync("/usr/lib/modules")).toBe(treeBefore);
    expect(await machineState()).toEqual(before);
  });
});
