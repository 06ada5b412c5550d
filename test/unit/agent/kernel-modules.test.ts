// The agent's kernel-module readers on the kernel's own formats — /proc/modules lines, modules.dep
// and modules.builtin paths (plain and compressed), build-config lines — the state each module gets
// from that evidence, and LoadKernelModules against a recording host that stands in for the kernel
// (the lab cannot load modules: docs/architecture.md §8.9).
import { describe, expect, it } from "@jest/globals";
import type { PlannedAction } from "../../../src/api/index.js";
import { runAction, type ActionContext } from "../../../src/agent/actions/action.js";
import { loadKernelModules } from "../../../src/agent/actions/load-kernel-modules.js";
import type { HostCommandResult, HostExecutor } from "../../../src/agent/host-executor.js";
import { moduleState, modulesInTree, parseKernelConfig, parseProcModules } from "../../../src/agent/kernel-modules.js";

describe("module evidence", () => {
  it("parses /proc/modules, the module tree and the build config", () => {
    expect(parseProcModules("nf_conntrack 172032 2 nf_nat,xt_MASQUERADE, Live 0x0000000000000000\noverlay 151552 0 - Live 0x0\n")).toEqual(new Set(["nf_conntrack", "overlay"]));
    expect(modulesInTree("kernel/drivers/net/vxlan/vxlan.ko.zst: kernel/net/ipv4/udp_tunnel.ko.zst\nkernel/fs/overlayfs/overlay.ko:\nkernel/net/netfilter/nf_nat.ko:\n")).toEqual(new Set(["vxlan", "overlay"]));
    expect(parseKernelConfig("CONFIG_VXLAN=m\nCONFIG_OVERLAY_FS=y\n# CONFIG_BRIDGE_NETFILTER is not set\n")).toEqual(new Map([["overlay", "y"], ["br_netfilter", "no"], ["vxlan", "m"]]));
  });

  it.each([
    ["in /proc/modules", { loaded: new Set(["vxlan"]), inSysfs: new Set(["vxlan"]) }, "loaded"],
    ["in /sys/module only (built in)", { loaded: new Set<string>(), inSysfs: new Set(["vxlan"]) }, "builtin"],
    ["=y in the build config", { inSysfs: new Set<string>(), config: new Map([["vxlan", "y"]]) }, "builtin"],
    ["in modules.dep, not loaded", { loaded: new Set<string>(), inSysfs: new Set<string>(), config: new Map([["vxlan", "m"]]), depList: new Set(["vxlan"]) }, "available"],
    ["modules.dep without it", { loaded: new Set<string>(), inSysfs: new Set<string>(), depList: new Set(["overlay"]) }, "notInstalled"],
    ["built without it", { inSysfs: new Set<string>(), config: new Map([["vxlan", "no"]]) }, "notInstalled"],
    ["nothing readable", { inSysfs: new Set<string>() }, "unknown"],
  ])("%s → %s", (_name, evidence, state) => {
    expect(moduleState("vxlan", evidence)).toBe(state);
  });
});

/** A host whose kernel has vxlan installed but not loaded; modprobe loads it into the /proc/modules it serves, files live in a map. */
class RecordingKernel {
  readonly calls: string[] = [];
  readonly loaded = new Set(["overlay", "nf_conntrack"]);
  readonly files = new Map<string, string>();
  modprobeFails = false;
  readonly host = { run: async (argv: readonly string[], options?: { input?: string }) => this.run(argv, options?.input) } as unknown as HostExecutor;

  private run(argv: readonly string[], input?: string): HostCommandResult {
    this.calls.push(argv.join(" "));
    const [program, ...args] = argv;
    const path = args.at(-1) ?? "";
    if (program === "modprobe") return this.modprobe(args);
    if (program === "cat") return this.cat(path);
    if (program === "stat") return ok([...this.loaded].map((m) => `/sys/module/${m}`).filter((p) => args.includes(p)).join("\n"));
    if (program === "grep" && path.endsWith("modules.dep")) return ok("kernel/drivers/net/vxlan/vxlan.ko.zst: kernel/net/ipv4/udp_tunnel.ko.zst\n");
    if (program === "grep") return fail(1);
    if (program === "test") return this.files.has(path) ? ok() : fail(1);
    if (program === "install") return (this.files.set(path, ""), ok());
    if (program === "dd") return (this.files.set((args[0] ?? "").slice("of=".length), input ?? ""), ok());
    if (program === "cp") return (this.files.set(path, this.files.get(args.at(-2) ?? "") ?? ""), ok());
    if (program === "mv") return (this.files.set(path, this.files.get(args.at(-2) ?? "") ?? ""), this.files.delete(args.at(-2) ?? ""), ok());
    if (program === "rm") return (this.files.delete(path), ok());
    return fail(2, `unexpected ${argv.join(" ")}`);
  }

  private modprobe(args: readonly string[]): HostCommandResult {
    if (this.modprobeFails) return fail(1, "modprobe: ERROR: could not insert 'vxlan': Operation not permitted");
    if (args[0] === "-r") this.loaded.delete(args[1] ?? "");
    else this.loaded.add(args[0] ?? "");
    return ok();
  }

  private cat(path: string): HostCommandResult {
    if (path === "/proc/sys/kernel/osrelease") return ok("6.8.0-1015-raspi\n");
    if (path === "/proc/modules") return ok([...this.loaded].map((m) => `${m} 16384 0 - Live 0x0`).join("\n"));
    return this.files.has(path) ? ok(this.files.get(path)) : fail(1, `cat: ${path}: No such file or directory`);
  }
}

const ok = (stdout = ""): HostCommandResult => ({ code: 0, stdout, stderr: "", timedOut: false });
const fail = (code = 1, stderr = ""): HostCommandResult => ({ code, stdout: "", stderr, timedOut: false });

describe("LoadKernelModules against a recording kernel", () => {
  const ORDER: PlannedAction = { action: "LoadKernelModules", modules: ["vxlan"] };
  const context = (kernel: RecordingKernel): ActionContext => ({ host: kernel.host, snapshot: { facts: {} as never, existingPaths: new Set() }, targets: {}, now: () => new Date(0) });

  it("refuses a module it does not know before any command", async () => {
    const kernel = new RecordingKernel();
    const out = await runAction(loadKernelModules, { action: "LoadKernelModules", modules: ["-r"] }, context(kernel));
    expect(out).toMatchObject({ result: "Failed", detail: 'invalid module "-r"' });
    expect(kernel.calls).toEqual([]);
  });

  it("loads, persists, verifies by re-reading; again is Skipped; the revert unloads and removes the file", async () => {
    const kernel = new RecordingKernel();
    const out = await runAction(loadKernelModules, ORDER, context(kernel));
    expect(out).toMatchObject({ result: "Succeeded", detail: "loaded vxlan; persisted vxlan in /etc/modules-load.d/netmedic.conf" });
    expect(kernel.loaded.has("vxlan")).toBe(true);
    expect(kernel.files.get("/etc/modules-load.d/netmedic.conf")).toMatch(/^# Managed by netmedic.*\nvxlan\n$/);
    expect(kernel.calls.indexOf("modprobe vxlan")).toBeGreaterThan(kernel.calls.findIndex((c) => c.startsWith("mv ")));
    expect(await runAction(loadKernelModules, ORDER, context(kernel))).toMatchObject({ result: "Skipped" });
    await out.revert?.();
    expect(kernel.loaded.has("vxlan")).toBe(false);
    expect(kernel.files.has("/etc/modules-load.d/netmedic.conf")).toBe(false);
  });

  it("a module the tree lacks fails naming the package, before any change", async () => {
    const kernel = new RecordingKernel();
    const out = await runAction(loadKernelModules, { action: "LoadKernelModules", modules: ["br_netfilter"] }, context(kernel));
    expect(out.detail).toBe("br_netfilter cannot be loaded (notInstalled for kernel 6.8.0-1015-raspi): install linux-modules-extra-raspi (Ubuntu)");
    expect(kernel.calls.some((c) => c.startsWith("modprobe") || c.startsWith("mv"))).toBe(false);
  });

  it("a failing modprobe rolls back the modules-load.d write and reports modprobe's words", async () => {
    const kernel = new RecordingKernel();
    kernel.modprobeFails = true;
    const out = await runAction(loadKernelModules, ORDER, context(kernel));
    expect(out.result).toBe("Failed");
    expect(out.detail).toMatch(/^modprobe vxlan exited 1: modprobe: ERROR: could not insert 'vxlan': Operation not permitted; rolled back 1 change\(s\)$/);
    expect(kernel.loaded.has("vxlan")).toBe(false);
  });
});
