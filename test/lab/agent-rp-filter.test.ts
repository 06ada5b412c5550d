// Strict reverse-path filtering on the worker's pod-facing links (issue 19: cilium #10645, flatcar
// #181 — an OS upgrade turns rp_filter on), on the node lab with the worker's real kernel settings
// (net.* sysctls belong to the lab's network namespace). A pod sends from an address the worker
// routes out of its uplink (an asymmetric path): with rp_filter off its SYN reaches the control
// host; strict on cni0 the kernel drops it on the reverse-path check (its IPReversePathFilter
// counter moves). The agent reports the settings and that drop, the core diagnoses
// ReversePathFilter=False StrictOnPodLinks and plans LoosenReversePathFilter, the agent executes it
// for real — loose (2), persisted in its sysctl.d drop-in (the lab's /etc scratch layer) — and the
// SYN passes again. Idempotent, reversible, all-or-nothing; this machine's sysctls and /etc untouched.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import type { NetworkHealth, PlannedAction } from "../../src/api/index.js";
import type { Agent } from "../../src/agent/agent.js";
import { RP_FILTER_CONF } from "../../src/agent/actions/loosen-rp-filter.js";
import { parseReversePathDrops } from "../../src/agent/rp-filter.js";
import { startLab, type Lab } from "../support/lab/index.js";
import { captureLogger, machineState, MemoryNetworkHealthStore, startLabAgent } from "./agent-support.js";
import { diagnoseLabNode, inWorker, makeK3sUfwNode, reasons } from "./ufw-node.js";
import { countArrivals, sendSynFrom } from "./rp-filter-path.js";

describe("agent on a lab node with strict rp_filter: facts, diagnosis, LoosenReversePathFilter for real, Ready=True", () => {
  let lab: Lab;
  let agent: Agent;
  let store: MemoryNetworkHealthStore;
  let before: Record<string, unknown>;
  let source: string;
  let plan: PlannedAction[] = [];
  const { logger } = captureLogger();
  const status = () => store.object?.status ?? {};
  const diagnosis = () => diagnoseLabNode(lab, store.object as NetworkHealth);
  const order = (orderId: string, actions: PlannedAction[]) => store.order(orderId, actions);
  const resultsOf = (orderId: string) => store.resultsOf(orderId);
  const drops = async () => parseReversePathDrops(await inWorker(lab, "cat", "/proc/net/netstat"));
  const rp = async (link: string) => lab.readSysctl(`net.ipv4.conf.${link}.rp_filter`);
  /** Sends one SYN from the pod's asymmetric address; what reached the control host and what the worker dropped. */
  const probeAsymmetric = async () => {
    const [arrived, dropped] = [await countArrivals(lab, source), await drops()];
    await sendSynFrom(lab, source);
    return { arrived: (await countArrivals(lab, source)) - arrived, dropped: (await drops() ?? 0) - (dropped ?? 0) };
  };

  beforeAll(async () => {
    before = await machineState();
    lab = await startLab({ firewalld: false, ipForward: 1, bridgeNfCallIptables: 1 });
    await makeK3sUfwNode(lab);
    // An address in the node network on the pod: the worker routes it out of its uplink, not cni0.
    source = lab.addresses.nodeCIDR.replace(/\.0\/24$/, ".77");
    await lab.execIn("pod", ["ip", "addr", "add", `${source}/32`, "dev", "eth0"]);
    ({ agent, store } = await startLabAgent(lab, logger));
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it("rp_filter off (a fresh namespace inherits this machine's 0): the asymmetric SYN arrives, the node is all-True (no misfire)", async () => {
    expect(await probeAsymmetric()).toEqual({ arrived: 1, dropped: 0 });
    await agent.round();
    expect(status().facts?.rpFilter).toEqual({
      all: 0, default: 0, links: [{ name: "cni0", value: 0 }, { name: lab.addresses.podVeth, value: 0 }], linkCount: 2, dropped: false,
    });
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Healthy", ReversePathFilter: "NotStrict" });
    expect(d.fixes).toEqual([]);
  }, 60_000);

  it("strict on cni0 and for new links: no drop yet is StrictWithoutDrops (True); the first asymmetric SYN is dropped and the core plans the fix", async () => {
    // The kernel copies a new `default` to every link whose own value was never written: the pod's veth turns strict too.
    await inWorker(lab, "sysctl", "-q", "-w", "net.ipv4.conf.default.rp_filter=1", "net.ipv4.conf.cni0.rp_filter=1");
    expect(await rp(lab.addresses.podVeth)).toBe("1");
    await agent.round();
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", ReversePathFilter: "StrictWithoutDrops" });
    expect(await probeAsymmetric()).toEqual({ arrived: 0, dropped: 1 });
    await agent.round();
    expect(status().facts?.rpFilter).toMatchObject({ all: 0, default: 1, links: [{ name: "cni0", value: 1 }, { name: lab.addresses.podVeth, value: 1 }], dropped: true });
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Degraded", ReversePathFilter: "StrictOnPodLinks", KonnectivityReachable: "Connected" });
    expect(d.rootCause).toBe("StrictOnPodLinks");
    expect(d.checks.ReversePathFilter.evidence).toEqual(expect.arrayContaining(["net.ipv4.conf.cni0.rp_filter = 1", "the kernel has dropped packets on the reverse-path check (IPReversePathFilter > 0)"]));
    plan = d.fixes;
    expect(plan).toEqual([{ action: "LoosenReversePathFilter", reason: "StrictOnPodLinks", links: ["cni0", lab.addresses.podVeth] }]);
  }, 60_000);

  it("executes the planned LoosenReversePathFilter for real: loose, the asymmetric SYN passes, Ready=True", async () => {
    order("rp-o1", plan);
    await agent.round();
    expect(resultsOf("rp-o1")).toEqual([expect.objectContaining({ action: "LoosenReversePathFilter", result: "Succeeded" })]);
    const veth = lab.addresses.podVeth;
    expect(resultsOf("rp-o1")[0]?.detail).toBe(`net.ipv4.conf.default.rp_filter: 1 → 2, net.ipv4.conf.cni0.rp_filter: 1 → 2, net.ipv4.conf.${veth}.rp_filter: 1 → 2; persisted in ${RP_FILTER_CONF}`);
    expect([await rp("default"), await rp("cni0"), await rp(veth), await rp("all")]).toEqual(["2", "2", "2", "0"]);
    expect(await probeAsymmetric()).toEqual({ arrived: 1, dropped: 0 });
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", ReversePathFilter: "NotStrict" });
  }, 60_000);

  it("persisted in its own drop-in (the lab's scratch layer; the pod's veth dies with the pod and is left out), sorting after 99-sysctl.conf; this machine has none", () => {
    expect(readFileSync(lab.scratchPathOf(RP_FILTER_CONF), "utf8")).toMatch(/^# Managed by netmedic.*\nnet\.ipv4\.conf\.default\.rp_filter = 2\nnet\.ipv4\.conf\.cni0\.rp_filter = 2\n$/);
    expect(["99-sysctl.conf", "99-zzz-netmedic-rp-filter.conf"].sort().at(-1)).toBe("99-zzz-netmedic-rp-filter.conf");
    expect(existsSync(RP_FILTER_CONF)).toBe(false);
  });

  it("idempotent: the same order again is Skipped and changes nothing", async () => {
    const conf = await lab.readFile(RP_FILTER_CONF);
    order("rp-o2", plan);
    await agent.round();
    expect(resultsOf("rp-o2")).toEqual([expect.objectContaining({ result: "Skipped" })]);
    expect(await lab.readFile(RP_FILTER_CONF)).toBe(conf);
  }, 60_000);

  it("reversible: the revert restores strict and removes the drop-in; the SYN is dropped again", async () => {
    await agent.outcomes.get("rp-o1/LoosenReversePathFilter")?.revert?.();
    expect([await rp("default"), await rp("cni0"), await rp(lab.addresses.podVeth)]).toEqual(["1", "1", "1"]);
    expect(existsSync(lab.scratchPathOf(RP_FILTER_CONF))).toBe(false);
    expect(await probeAsymmetric()).toEqual({ arrived: 0, dropped: 1 });
  }, 60_000);

  it("all or nothing: cni0's rp_filter read-only (a bind mount in the worker) fails the write, default and the drop-in are rolled back", async () => {
    const path = "/proc/sys/net/ipv4/conf/cni0/rp_filter";
    await inWorker(lab, "mount", "--bind", path, path);
    await inWorker(lab, "mount", "-o", "remount,bind,ro", path);
    try {
      order("rp-o3", plan);
      await agent.round();
      expect(resultsOf("rp-o3")).toEqual([expect.objectContaining({ result: "Failed", detail: expect.stringMatching(/rp_filter.*; rolled back 2 change\(s\)$/s) })]);
    } finally {
      await inWorker(lab, "umount", path);
    }
    expect([await rp("default"), await rp("cni0")]).toEqual(["1", "1"]);
    expect(existsSync(lab.scratchPathOf(RP_FILTER_CONF))).toBe(false);
  }, 60_000);

  it("strict all (a RHEL-family default) with drops: one change, all → 2, lifts every link", async () => {
    await inWorker(lab, "sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.cni0.rp_filter=0");
    await agent.round();
    const d = diagnosis();
    expect(d.checks.ReversePathFilter).toMatchObject({ status: "False", reason: "StrictOnPodLinks" });
    expect(d.fixes).toEqual([{ action: "LoosenReversePathFilter", reason: "StrictOnPodLinks" }]);
    order("rp-o4", d.fixes);
    await agent.round();
    expect(resultsOf("rp-o4")[0]).toMatchObject({ result: "Succeeded", detail: `net.ipv4.conf.all.rp_filter: 1 → 2; persisted in ${RP_FILTER_CONF}` });
    expect(await probeAsymmetric()).toEqual({ arrived: 1, dropped: 0 });
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", ReversePathFilter: "NotStrict" });
  }, 60_000);

  it("this machine's rp_filter, sysctl.d and network never changed", async () => {
    expect(await machineState()).toEqual(before);
  });
});
