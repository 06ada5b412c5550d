// The agent's NetworkManager reading: unmanaged-devices merged the way NM merges its files
// (NetworkManager.conf, then conf.d by file name, /etc shadowing /run and /usr/lib; = replaces,
// += appends, -= removes), nm-cloud-setup's units from `systemctl is-enabled`, an unknown state never
// read as "not running", and UnmanageCNILinks' drop-in.
import { describe, expect, it } from "@jest/globals";
import type { HostCommandResult, HostExecutor } from "../../../src/agent/host-executor.js";
import { mergeUnmanaged, parseEnabled, parseUnmanagedSettings, readNetworkManager } from "../../../src/agent/network-manager.js";
import { nmDropIn } from "../../../src/agent/actions/unmanage-cni-links.js";
import { validUndoStep } from "../../../src/agent/actions/undo-steps.js";

const ok = (stdout: string, code = 0): HostCommandResult => ({ code, stdout, stderr: "" }) as HostCommandResult;

describe("unmanaged-devices as NM merges it", () => {
  it.each([
    ["one drop-in", "/etc/NetworkManager/conf.d/rke2-canal.conf:unmanaged-devices=interface-name:cali*;interface-name:flannel*", ["interface-name:cali*", "interface-name:flannel*"]],
    ["a later file's = replaces", "/etc/NetworkManager/conf.d/10-a.conf:unmanaged-devices=interface-name:cali*\n/etc/NetworkManager/conf.d/20-b.conf:unmanaged-devices=interface-name:eth9", ["interface-name:eth9"]],
    ["+= appends, -= removes", "/etc/NetworkManager/NetworkManager.conf:unmanaged-devices=interface-name:cali*;interface-name:eth9\n/etc/NetworkManager/conf.d/90-netmedic-cni.conf:unmanaged-devices+=interface-name:cni0\n/etc/NetworkManager/conf.d/95-x.conf:unmanaged-devices-=interface-name:eth9", ["interface-name:cali*", "interface-name:cni0"]],
    ["NetworkManager.conf comes first whatever the names", "/etc/NetworkManager/conf.d/00-a.conf:unmanaged-devices+=interface-name:cni0\n/etc/NetworkManager/NetworkManager.conf:unmanaged-devices=interface-name:cali*", ["interface-name:cali*", "interface-name:cni0"]],
    ["the same name in /etc shadows /usr/lib's", "/usr/lib/NetworkManager/conf.d/50-x.conf:unmanaged-devices=interface-name:cali*\n/etc/NetworkManager/conf.d/50-x.conf:unmanaged-devices=interface-name:cni0", ["interface-name:cni0"]],
    ["files not ending .conf are not read by NM", "/etc/NetworkManager/conf.d/old.conf.bak:unmanaged-devices=interface-name:cali*", []],
  ])("%s", (_name, grep, expected) => {
    expect(mergeUnmanaged(parseUnmanagedSettings(grep))).toEqual(expected);
  });

  it("is-enabled answers one line per unit in order", () => {
    expect(parseEnabled(["nm-cloud-setup.service", "nm-cloud-setup.timer"], "disabled\nenabled\n")).toEqual(["nm-cloud-setup.timer"]);
    expect(parseEnabled(["nm-cloud-setup.service", "nm-cloud-setup.timer"], "not-found\nnot-found\n")).toEqual([]);
  });
});

describe("readNetworkManager", () => {
  const host = (answers: (argv: readonly string[]) => HostCommandResult) => ({ run: async (argv: readonly string[]) => answers(argv) }) as unknown as HostExecutor;

  it("running: the merged list and the enabled units", async () => {
    const h = host((argv) => argv[0] === "grep" ? ok("/etc/NetworkManager/conf.d/a.conf:unmanaged-devices=interface-name:cali*\n")
      : argv[1] === "is-active" ? ok("active\n") : ok("enabled\nenabled\n"));
    expect(await readNetworkManager(h)).toEqual({ state: "active", unmanagedDevices: ["interface-name:cali*"], cloudSetupEnabled: ["nm-cloud-setup.service", "nm-cloud-setup.timer"] });
  });

  it("not running and not installed: notInstalled; systemctl missing: an error, never 'not running'", async () => {
    expect(await readNetworkManager(host((argv) => argv[0] === "test" ? ok("", 1) : ok("inactive\n", 3)))).toEqual({ state: "notInstalled" });
    await expect(readNetworkManager(host(() => ok("", 127)))).rejects.toThrow("systemctl is not available");
  });
});

describe("UnmanageCNILinks' drop-in and undo", () => {
  it("appends with +=, sorted and unique, so the admin's own list stays", () => {
    expect(nmDropIn(["interface-name:cni0", "interface-name:cali*", "interface-name:cni0"]).split("\n").slice(1)).toEqual(["[keyfile]", "unmanaged-devices+=interface-name:cali*;interface-name:cni0", ""]);
  });

  it("the undo steps are data a restarted agent accepts", () => {
    for (const argv of [["systemctl", "reload", "NetworkManager.service"], ["systemctl", "enable", "--now", "nm-cloud-setup.timer"]]) {
      expect(validUndoStep({ kind: "command", argv })).toEqual({ kind: "command", argv });
    }
  });
});
