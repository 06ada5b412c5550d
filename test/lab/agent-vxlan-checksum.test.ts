// VXLAN transmit checksum offload (issue 19: flannel #1279/#2152, calico #3145, kubernetes #88986),
// on the node lab with a real VXLAN link: the worker gets flannel.1 as flannel creates it (offload on
// by default) and real ethtool reads and changes it. This kernel's offload works, so a peer whose
// offload corrupts checksums is stood in for by the control host sending one VXLAN datagram with a
// bad UDP checksum to the worker's :8472 — the worker's kernel drops it and counts InCsumErrors, the
// evidence the core needs. The agent reports, the core diagnoses VXLANChecksumOffload=False
// BadChecksums and plans DisableVXLANChecksumOffload, the agent executes it for real — off, persisted
// as a udev rule in the lab's /etc scratch layer — and the node is Ready=True. The lab runs no udevd:
// the rule's own command is run on a recreated link as udev would. Idempotent, reversible,
// all-or-nothing; this machine's /etc and network untouched.
import { beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import type { NetworkHealth, PlannedAction } from "../../src/api/index.js";
import type { Agent } from "../../src/agent/agent.js";
import { VXLAN_UDEV_RULE } from "../../src/agent/actions/disable-vxlan-offload.js";
import { parseOffload, parseUdpChecksumErrors } from "../../src/agent/vxlan-offload.js";
import type { Lab } from "../support/lab/index.js";
import { captureLogger, machineState, type MemoryNetworkHealthStore } from "./agent-support.js";
import { k3sNodeSuite } from "./k3s-node-suite.js";
import { diagnoseLabNode, inWorker, reasons } from "./ufw-node.js";

// Fixed program: one UDP datagram whose checksum cannot be right (0xBEEF; 0 would mean "none").
const BAD_UDP = `
import socket, struct, sys
payload = bytes(58)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.sendto(struct.pack("!HHHH", 40000, int(sys.argv[2]), 8 + len(payload), 0xBEEF) + payload, (sys.argv[1], 0))
`;

describe("agent on a lab node whose VXLAN link offloads checksums that arrive bad: facts, diagnosis, DisableVXLANChecksumOffload for real, Ready=True", () => {
  let lab: Lab;
  let agent: Agent;
  let store: MemoryNetworkHealthStore;
  let before: Record<string, unknown>;
  let plan: PlannedAction[] = [];
  const { logger } = captureLogger();
  const suite = k3sNodeSuite("/etc/udev/rules.d", logger);
  beforeAll(() => {
    ({ lab, agent, store, before } = suite);
  });
  const status = () => store.object?.status ?? {};
  const diagnosis = () => diagnoseLabNode(lab, store.object as NetworkHealth);
  const offload = async () => parseOffload(await inWorker(lab, "ethtool", "-k", "flannel.1"));
  const csumErrors = async () => parseUdpChecksumErrors(await inWorker(lab, "cat", "/proc/net/snmp"));
  /** flannel.1 as flannel creates it: VNI 1, :8472, on the worker's uplink address. */
  const addFlannelLink = async () => {
    await inWorker(lab, "ip", "link", "add", "flannel.1", "type", "vxlan", "id", "1", "dstport", "8472", "local", lab.addresses.workerUplink, "dev", lab.addresses.uplink);
    await inWorker(lab, "ip", "link", "set", "flannel.1", "up");
  };
  const sendBadChecksum = async () => {
    const sent = await lab.execIn("control", ["/usr/bin/python3", "-c", BAD_UDP, lab.addresses.workerUplink, "8472"]);
    expect(sent).toMatchObject({ code: 0 });
  };


  it("no VXLAN link (the lab's bridge-only worker): NoVXLANLink, the node is all-True (no misfire)", async () => {
    await agent.round();
    expect(status().facts?.vxlanChecksum).toEqual({ links: [], udpChecksumErrors: false });
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", VXLANChecksumOffload: "NoVXLANLink" });
  }, 60_000);

  it("flannel.1 with the offload on and no bad checksum: OffloadOnWithoutErrors, still all-True, nothing planned", async () => {
    await addFlannelLink();
    expect(await offload()).toBe(true);
    await agent.round();
    expect(status().facts?.vxlanChecksum).toEqual({ links: [{ name: "flannel.1", txChecksumOffload: true }], udpChecksumErrors: false });
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Healthy", VXLANChecksumOffload: "OffloadOnWithoutErrors" });
    expect(d.fixes).toEqual([]);
  }, 60_000);

  it("a VXLAN datagram arrives with a bad checksum: the kernel counts it, VXLANChecksumOffload=False BadChecksums, the fix is planned", async () => {
    await sendBadChecksum();
    expect(await csumErrors()).toBe(1);
    await agent.round();
    expect(status().facts?.vxlanChecksum).toEqual({ links: [{ name: "flannel.1", txChecksumOffload: true }], udpChecksumErrors: true });
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Degraded", VXLANChecksumOffload: "BadChecksums", KonnectivityReachable: "Connected" });
    expect(d.rootCause).toBe("BadChecksums");
    expect(d.checks.VXLANChecksumOffload.evidence).toEqual(["ethtool -k flannel.1: tx-checksum-ip-generic: on", "UDP datagrams received with a bad checksum: yes (InCsumErrors > 0)"]);
    plan = d.fixes;
    expect(plan).toEqual([{ action: "DisableVXLANChecksumOffload", reason: "BadChecksums", links: ["flannel.1"] }]);
  }, 60_000);

  it("executes the planned DisableVXLANChecksumOffload for real: off (re-read with ethtool), Ready=True", async () => {
    store.order("vx-o1", plan);
    await agent.round();
    expect(store.resultsOf("vx-o1")).toEqual([expect.objectContaining({ action: "DisableVXLANChecksumOffload", result: "Succeeded", detail: `tx-checksum-ip-generic off on flannel.1; persisted in ${VXLAN_UDEV_RULE}` })]);
    expect(await offload()).toBe(false);
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", VXLANChecksumOffload: "OffloadOff" });
  }, 60_000);

  it("persisted as a udev rule in the lab's scratch layer (this machine has none); a recreated flannel.1 comes back on and the rule's own command turns it off", async () => {
    const rule = readFileSync(lab.scratchPathOf(VXLAN_UDEV_RULE), "utf8");
    expect(rule).toMatch(/^# Managed by netmedic.*\nACTION=="add", SUBSYSTEM=="net", KERNEL=="flannel\.1", RUN\+="\/(usr\/)?sbin\/ethtool -K %k tx-checksum-ip-generic off"\n$/);
    expect(existsSync(VXLAN_UDEV_RULE)).toBe(false);
    // flannel restarts: the link is deleted and created again, with the kernel's default offload.
    await inWorker(lab, "ip", "link", "del", "flannel.1");
    await addFlannelLink();
    expect(await offload()).toBe(true);
    const run = /RUN\+="([^"]+)"/.exec(rule)?.[1]?.replace("%k", "flannel.1").split(" ") ?? [];
    await inWorker(lab, ...run);
    expect(await offload()).toBe(false);
    await agent.round();
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", VXLANChecksumOffload: "OffloadOff" });
  }, 60_000);

  it("idempotent: the same order again is Skipped and changes nothing", async () => {
    const rule = await lab.readFile(VXLAN_UDEV_RULE);
    store.order("vx-o2", plan);
    await agent.round();
    expect(store.resultsOf("vx-o2")).toEqual([expect.objectContaining({ result: "Skipped" })]);
    expect(await lab.readFile(VXLAN_UDEV_RULE)).toBe(rule);
  }, 60_000);

  it("reversible: the revert turns the offload on again and removes the rule", async () => {
    await agent.outcomes.get("vx-o1/DisableVXLANChecksumOffload")?.revert?.();
    expect(await offload()).toBe(true);
    expect(existsSync(lab.scratchPathOf(VXLAN_UDEV_RULE))).toBe(false);
  }, 60_000);

  it("all or nothing: rules.d read-only (an immutable /etc) fails the persisting write and the runtime change is rolled back", async () => {
    const dir = "/etc/udev/rules.d";
    await inWorker(lab, "mount", "--bind", dir, dir);
    await inWorker(lab, "mount", "-o", "remount,bind,ro", dir);
    try {
      store.order("vx-o3", plan);
      await agent.round();
      expect(store.resultsOf("vx-o3")).toEqual([expect.objectContaining({ result: "Failed", detail: expect.stringMatching(/rules\.d.*; rolled back 1 change\(s\)$/s) })]);
    } finally {
      await inWorker(lab, "umount", dir);
    }
    expect(await offload()).toBe(true);
    expect(existsSync(lab.scratchPathOf(VXLAN_UDEV_RULE))).toBe(false);
  }, 60_000);

  it("refuses a link that is not VXLAN (the uplink) before changing anything", async () => {
    store.order("vx-o4", [{ action: "DisableVXLANChecksumOffload", reason: "BadChecksums", links: ["flannel.1", lab.addresses.uplink] }]);
    await agent.round();
    expect(store.resultsOf("vx-o4")).toEqual([expect.objectContaining({ result: "Failed", detail: `invalid link ${lab.addresses.uplink}: not a VXLAN link` })]);
    expect(await offload()).toBe(true);
  }, 60_000);

  it("healed again from the broken state by the core's own plan: Ready=True", async () => {
    await agent.round();
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Degraded", VXLANChecksumOffload: "BadChecksums" });
    store.order("vx-o5", d.fixes);
    await agent.round();
    expect(store.resultsOf("vx-o5")).toEqual([expect.objectContaining({ result: "Succeeded" })]);
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", VXLANChecksumOffload: "OffloadOff" });
  }, 60_000);

  it("this machine's /etc (no udev rule), network and kernel state never changed", async () => {
    expect(existsSync(VXLAN_UDEV_RULE)).toBe(false);
    expect(await machineState()).toEqual(before);
  });
});
