// NetworkManager managing the CNI's links, with nm-cloud-setup enabled (issue 19: rke2 #1053,
// #1670; k3s #3791; calico #4662), on the node lab at the file level: NM's configuration is real
// files under the worker's /etc (the lab's scratch layer) read the way NM merges them, and
// NetworkManager.service and nm-cloud-setup's units are the lab's fake systemctl, which records every
// call. NetworkManager itself does not run here: Debian's package pulls in systemd-sysv and udev,
// which would replace this shared machine's init (docs/architecture.md §8.11 says what was tried).
// The agent reports, the core diagnoses NetworkManager=False ManagingCNILinks and plans
// UnmanageCNILinks, the agent executes it — NM's own drop-in appended after the admin's list, NM
// reloaded, nm-cloud-setup disabled — and the node is Ready=True. Idempotent, reversible,
// all-or-nothing; this machine's /etc untouched.
import { beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import type { NetworkHealth, PlannedAction } from "../../src/api/index.js";
import type { Agent } from "../../src/agent/agent.js";
import { NM_CNI_CONF } from "../../src/agent/actions/unmanage-cni-links.js";
import type { Lab } from "../support/lab/index.js";
import { captureLogger, machineState, type MemoryNetworkHealthStore } from "./agent-support.js";
import { k3sNodeSuite } from "./k3s-node-suite.js";
import { diagnoseLabNode, reasons } from "./ufw-node.js";

const ADMIN_CONF = "/etc/NetworkManager/conf.d/50-admin.conf";
const CNI_SPECS = "interface-name:cali*;interface-name:cni0;interface-name:flannel*;interface-name:kube-bridge;interface-name:tunl*;interface-name:vxlan.calico";

describe("agent on a lab node whose NetworkManager would manage the CNI's links: facts, diagnosis, UnmanageCNILinks, Ready=True", () => {
  let lab: Lab;
  let agent: Agent;
  let store: MemoryNetworkHealthStore;
  let before: Record<string, unknown>;
  let plan: PlannedAction[] = [];
  const { logger } = captureLogger();
  const suite = k3sNodeSuite("/etc/NetworkManager/conf.d", logger);
  beforeAll(() => {
    ({ lab, agent, store, before } = suite);
  });
  const status = () => store.object?.status ?? {};
  const diagnosis = () => diagnoseLabNode(lab, store.object as NetworkHealth);
  /** The fake systemctl's changing calls since `from` (reads left out), as "verb units". */
  const changes = async (from = 0) => (await lab.systemctlLog()).slice(from).filter((c) => !c.verb.startsWith("is-")).map((c) => [c.verb, ...c.argv.filter((a) => a === "--now"), ...c.units].join(" "));
  const logLength = async () => (await lab.systemctlLog()).length;
  /** One unit after the other: each write replaces the fake's whole unit table. */
  const cloudSetup = async (enabled: boolean) => {
    await lab.setSystemctlUnit("nm-cloud-setup", { active: false, enabled });
    await lab.setSystemctlUnit("nm-cloud-setup.timer", { active: enabled, enabled });
  };


  it("no NetworkManager (Ubuntu server, the lab's worker): NotRunning, the node is all-True (no misfire)", async () => {
    await agent.round();
    expect(status().facts?.networkManager).toEqual({ state: "notInstalled" });
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", NetworkManager: "NotRunning" });
  }, 60_000);

  it("NM running with the admin's own unmanaged list and nm-cloud-setup enabled: ManagingCNILinks, the fix is planned", async () => {
    await lab.writeFile(ADMIN_CONF, "[keyfile]\nunmanaged-devices=interface-name:eth9\n");
    await lab.setSystemctlUnit("NetworkManager", { active: true });
    await cloudSetup(true);
    await agent.round();
    expect(status().facts?.networkManager).toEqual({ state: "active", unmanagedDevices: ["interface-name:eth9"], cloudSetupEnabled: ["nm-cloud-setup.service", "nm-cloud-setup.timer"] });
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Degraded", NetworkManager: "ManagingCNILinks" });
    expect(d.rootCause).toBe("ManagingCNILinks");
    plan = d.fixes;
    expect(plan).toEqual([{ action: "UnmanageCNILinks", reason: "ManagingCNILinks" }]);
  }, 60_000);

  it("executes UnmanageCNILinks: NM's drop-in appended, NM reloaded, nm-cloud-setup disabled (no reboot), Ready=True", async () => {
    const from = await logLength();
    store.order("nm-o1", plan);
    await agent.round();
    const [result] = store.resultsOf("nm-o1");
    expect(result).toMatchObject({ action: "UnmanageCNILinks", result: "Succeeded" });
    expect(result?.detail).toMatch(/NetworkManager reloaded; nm-cloud-setup.service and nm-cloud-setup.timer disabled; the routing rules nm-cloud-setup already installed stay until the next reboot \(not rebooted\)$/);
    expect(await changes(from)).toEqual(["reload NetworkManager", "disable nm-cloud-setup", "disable --now nm-cloud-setup.timer"]);
    expect(status().facts?.networkManager?.unmanagedDevices).toEqual(["interface-name:eth9", ...CNI_SPECS.split(";")]);
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", NetworkManager: "CNILinksUnmanaged" });
  }, 60_000);

  it("persisted in NM's own conf.d (the lab's scratch layer; this machine has none), appending so the admin's list stays", async () => {
    expect(readFileSync(lab.scratchPathOf(NM_CNI_CONF), "utf8")).toBe(`# Managed by netmedic: NetworkManager must leave the CNI's links alone (rke2 #1053, calico #4662).\n[keyfile]\nunmanaged-devices+=${CNI_SPECS}\n`);
    expect(await lab.readFile(ADMIN_CONF)).toBe("[keyfile]\nunmanaged-devices=interface-name:eth9\n");
    expect(existsSync("/etc/NetworkManager")).toBe(false);
  });

  it("idempotent: the same order again is Skipped, no systemctl change", async () => {
    const from = await logLength();
    store.order("nm-o2", plan);
    await agent.round();
    expect(store.resultsOf("nm-o2")).toEqual([expect.objectContaining({ result: "Skipped" })]);
    expect(await changes(from)).toEqual([]);
  }, 60_000);

  it("reversible: units enabled again, the drop-in removed, then NM reloaded", async () => {
    const from = await logLength();
    await agent.outcomes.get("nm-o1/UnmanageCNILinks")?.revert?.();
    expect(await changes(from)).toEqual(["enable --now nm-cloud-setup.timer", "enable nm-cloud-setup", "reload NetworkManager"]);
    expect(existsSync(lab.scratchPathOf(NM_CNI_CONF))).toBe(false);
    await agent.round();
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Degraded", NetworkManager: "ManagingCNILinks" });
  }, 60_000);

  it("all or nothing: the timer cannot be disabled — the service is enabled again, the drop-in removed and NM reloaded", async () => {
    await lab.setSystemctlUnit("nm-cloud-setup.timer", { active: true, enabled: true, hooks: { disable: ["false"] } });
    const from = await logLength();
    store.order("nm-o3", plan);
    await agent.round();
    expect(store.resultsOf("nm-o3")).toEqual([expect.objectContaining({ result: "Failed", detail: expect.stringMatching(/^systemctl disable --now nm-cloud-setup.timer exited 1.*; rolled back 3 change\(s\)$/s) })]);
    expect(await changes(from)).toEqual(["reload NetworkManager", "disable nm-cloud-setup", "disable --now nm-cloud-setup.timer", "enable nm-cloud-setup", "reload NetworkManager"]);
    expect(existsSync(lab.scratchPathOf(NM_CNI_CONF))).toBe(false);
  }, 60_000);

  it("healed again by the core's own plan once the timer can be disabled: Ready=True", async () => {
    await cloudSetup(true);
    await agent.round();
    const d = diagnosis();
    store.order("nm-o4", d.fixes);
    await agent.round();
    expect(store.resultsOf("nm-o4")).toEqual([expect.objectContaining({ result: "Succeeded" })]);
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", NetworkManager: "CNILinksUnmanaged" });
  }, 60_000);

  it("this machine's /etc (no NetworkManager files), network and kernel state never changed", async () => {
    expect(existsSync("/etc/NetworkManager")).toBe(false);
    expect(await machineState()).toEqual(before);
  });
});
