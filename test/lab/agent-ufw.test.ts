// k3s on Ubuntu with ufw enabled (issue-tracker fault #1: default `deny (routed)`), on the node lab
// with Debian's real ufw on the worker's own netfilter. The agent reports ufw's facts, the core
// diagnoses HostFirewall=False UfwBlockingPodTraffic and plans OpenUfw, the agent executes that
// order for real, and the node goes to Ready=True; the fix is persisted in ufw's own files
// (survives `ufw reload`), idempotent, reversible, and this machine's firewall and /etc are untouched.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import type { NetworkHealth, PlannedAction } from "../../src/api/index.js";
import type { Agent } from "../../src/agent/agent.js";
import { startLab, type Lab } from "../support/lab/index.js";
import { captureLogger, machineState, MemoryNetworkHealthStore, startLabAgent } from "./agent-support.js";
import { diagnoseLabNode, inWorker, makeK3sUfwNode, reasons, UFW_LAB_TOKEN } from "./ufw-node.js";

const DIAL_MS = 2500;
const USER_RULES = "/etc/ufw/user.rules";

describe("agent on a k3s lab node behind ufw: facts, diagnosis, OpenUfw for real, Ready=True", () => {
  let lab: Lab;
  let agent: Agent;
  let store: MemoryNetworkHealthStore;
  let before: Record<string, unknown>;
  let rulesBefore: string;
  let plan: PlannedAction[] = [];
  const { logger, lines } = captureLogger();
  const status = () => store.object?.status ?? {};
  const diagnosis = () => diagnoseLabNode(lab, store.object as NetworkHealth);
  const podProbe = () => status().probes?.find((p) => p.from === "Pod" && p.purpose === "Konnectivity")?.result;
  const order = (orderId: string, actions: PlannedAction[]) => store.order(orderId, actions);
  const resultsOf = (orderId: string) => store.resultsOf(orderId);
  const dialControl = async () => (await lab.tcpConnect("pod", lab.addresses.control, 8132, DIAL_MS)).result;

  beforeAll(async () => {
    before = await machineState();
    lab = await startLab({ firewalld: false, ipForward: 1, bridgeNfCallIptables: 1 });
    await makeK3sUfwNode(lab);
    ({ agent, store } = await startLabAgent(lab, logger, DIAL_MS));
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it("ufw installed but inactive: reported as such, HostFirewall NotRunning, the node all-True (no misfire)", async () => {
    await agent.round();
    expect(status().facts?.distribution).toBe("k3s");
    expect(status().facts?.firewall).toEqual({ manager: "firewalld", state: "notRunning" });
    expect(status().facts?.ufw).toEqual({ state: "inactive", enabledAtBoot: false, defaultInputPolicy: "DROP", defaultForwardPolicy: "DROP", rules: [] });
    expect(status().facts?.errors).toBeUndefined();
    expect(podProbe()).toBe("ok");
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Healthy", HostFirewall: "NotRunning", KonnectivityReachable: "Connected", APIServerEndpoint: "Healthy" });
    expect(d.checks.HostFirewall.message).toBe("firewalld is installed but not running; ufw is installed but inactive");
    expect(d.fixes).toEqual([]);
  }, 60_000);

  it("`ufw enable`: the pod's dial times out, the facts show ufw's real state and the core plans OpenUfw", async () => {
    await inWorker(lab, "ufw", "--force", "enable");
    rulesBefore = await lab.readFile(USER_RULES);
    expect(await dialControl()).toBe("ETIMEDOUT");
    await agent.round();
    expect(status().facts?.ufw).toEqual({
      state: "active", enabledAtBoot: true, defaultInputPolicy: "DROP", defaultForwardPolicy: "DROP",
      defaults: "deny (incoming), allow (outgoing), deny (routed)", rules: [],
    });
    expect(podProbe()).toBe("ETIMEDOUT");
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Degraded", HostFirewall: "UfwBlockingPodTraffic", KonnectivityReachable: "Timeout", IPForwarding: "Enabled" });
    expect(d.rootCause).toBe("UfwBlockingPodTraffic");
    const cidr = lab.addresses.podCIDR;
    expect(d.checks.HostFirewall.evidence).toContain(`no ufw rule for: ufw route allow from ${cidr}`);
    plan = d.fixes;
    expect(plan).toEqual([{ action: "OpenUfw", reason: "UfwBlockingPodTraffic", podCIDR: cidr, ports: ["8472/udp", "10250/tcp"] }]);
  }, 60_000);

  it("executes the planned OpenUfw for real: pod traffic passes and the node is Ready=True", async () => {
    order("ufw-o1", plan);
    await agent.round();
    expect(resultsOf("ufw-o1")).toEqual([expect.objectContaining({ action: "OpenUfw", result: "Succeeded" })]);
    expect(resultsOf("ufw-o1")[0]?.detail).toContain(`ufw route allow from ${lab.addresses.podCIDR}`);
    expect(podProbe()).toBe("ok");
    expect(await dialControl()).toBe("ok");
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Healthy", HostFirewall: "Allowing", KonnectivityReachable: "Connected" });
    expect(d.fixes).toEqual([]);
  }, 90_000);

  it("persisted in ufw's own user.rules (scratch layer), kept across `ufw reload`; /etc/default/ufw (the admin's policies) untouched", async () => {
    const cidr = lab.addresses.podCIDR;
    const rules = readFileSync(lab.scratchPathOf(USER_RULES), "utf8");
    for (const tuple of [`route:allow any any 0.0.0.0/0 any ${cidr} in`, `route:allow any any ${cidr} any 0.0.0.0/0 in`,
      `allow any any 0.0.0.0/0 any ${cidr} in`, "allow udp 8472 0.0.0.0/0 any 0.0.0.0/0 in", "allow tcp 10250 0.0.0.0/0 any 0.0.0.0/0 in"]) {
      expect(rules).toContain(`### tuple ### ${tuple}\n`);
    }
    expect(readFileSync(lab.scratchPathOf("/etc/ufw/user6.rules"), "utf8")).not.toMatch(/8472|10250/); // IPv4 rules only
    expect(await lab.readFile("/etc/default/ufw")).toBe(readFileSync("/etc/default/ufw", "utf8"));
    await inWorker(lab, "ufw", "reload");
    expect(await dialControl()).toBe("ok");
  }, 60_000);

  it("idempotent: the same order again is Skipped and changes nothing", async () => {
    const rules = await lab.readFile(USER_RULES);
    order("ufw-o2", plan);
    await agent.round();
    expect(resultsOf("ufw-o2")).toEqual([expect.objectContaining({ action: "OpenUfw", result: "Skipped" })]);
    expect(await lab.readFile(USER_RULES)).toBe(rules);
    expect(lines.filter((l) => l.includes('"msg":"order received"'))).toHaveLength(2);
  }, 60_000);

  it("reversible: the revert deletes exactly what was added, and the pod's traffic is dropped again", async () => {
    await agent.outcomes.get("ufw-o1/OpenUfw")?.revert?.();
    expect(await lab.readFile(USER_RULES)).toBe(rulesBefore);
    expect(await dialControl()).toBe("ETIMEDOUT");
    await agent.round();
    expect(reasons(diagnosis())).toMatchObject({ HostFirewall: "UfwBlockingPodTraffic" });
  }, 60_000);

  it("an unreadable user.rules is reported (state unknown, the reason in errors) and judged Unknown, not a crash", async () => {
    await inWorker(lab, "mv", USER_RULES, `${USER_RULES}.aside`);
    await inWorker(lab, "mkdir", USER_RULES);
    try {
      await agent.round();
      expect(status().facts?.ufw).toMatchObject({ state: "unknown", enabledAtBoot: true, defaultForwardPolicy: "DROP" });
      expect(status().facts?.ufw?.rules).toBeUndefined();
      expect(status().facts?.errors).toEqual(expect.arrayContaining([expect.stringMatching(/^ufw: cat -- \/etc\/ufw\/user\.rules exited 1: .*Is a directory/)]));
      expect(diagnosis().checks.HostFirewall).toMatchObject({ status: "Unknown", reason: "Unknown" });
      order("ufw-o3", plan);
      await agent.round();
      expect(resultsOf("ufw-o3")).toEqual([expect.objectContaining({ result: "Failed", detail: expect.stringMatching(/^ufw is unknown: netmedic never enables/) })]);
    } finally {
      await inWorker(lab, "rmdir", USER_RULES);
      await inWorker(lab, "mv", `${USER_RULES}.aside`, USER_RULES);
    }
  }, 60_000);

  it("no ufw program: notInstalled without an error, HostFirewall back to firewalld's verdict, OpenUfw says so", async () => {
    // /usr/sbin overlaid in the worker's own mount namespace (upper on its private /tmp): the
    // removal is a whiteout there, this machine's ufw stays.
    await inWorker(lab, "mkdir", "-p", "/tmp/usr-sbin/upper", "/tmp/usr-sbin/work");
    await inWorker(lab, "mount", "-t", "overlay", "overlay", "-o", "lowerdir=/usr/sbin,upperdir=/tmp/usr-sbin/upper,workdir=/tmp/usr-sbin/work", "/usr/sbin");
    try {
      await inWorker(lab, "rm", "/usr/sbin/ufw");
      await agent.round();
      expect(status().facts?.ufw).toEqual({ state: "notInstalled" });
      expect(status().facts?.errors).toBeUndefined();
      expect(diagnosis().checks.HostFirewall).toMatchObject({ status: "True", reason: "NotRunning", message: "firewalld is installed but not running" });
      order("ufw-o4", plan);
      await agent.round();
      expect(resultsOf("ufw-o4")).toEqual([expect.objectContaining({ result: "Failed", detail: "ufw is not installed: nothing to open" })]);
    } finally {
      await inWorker(lab, "umount", "/usr/sbin");
    }
    expect(readFileSync("/usr/sbin/ufw", "utf8")).toMatch(/^#!/);
  }, 60_000);

  it("never reports the k3s join token, and this machine's firewall, ufw files and /etc never changed", async () => {
    expect(JSON.stringify(store.applied)).not.toContain(UFW_LAB_TOKEN.split("::")[1]);
    expect(await machineState()).toEqual(before);
  });
});
