// The k3s incident's RKE2 shape (FACTS.md §2) on the node lab: an RKE2 agent installed with
// RKE2_URL, so its server lives in /etc/default/rke2-agent (one of the unit's EnvironmentFile=s)
// and config.yaml has none. It is pinned to an etcd-only server (a TLS stand-in on the supervisor
// port 9345 answering `apiserver disabled`) and re-pointed for real: the env file's URL line
// rewritten (token line and mode kept, backup made), config.yaml untouched, load-balancer state
// moved aside, rke2-agent restarted through the lab's systemctl; the token never leaks.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname } from "node:path";
import type { PlannedAction } from "../../src/api/index.js";
import { Agent } from "../../src/agent/agent.js";
import { HostNetworkDialer } from "../../src/agent/host-dialer.js";
import { HostExecutor } from "../../src/agent/host-executor.js";
import { RKE2_PATHS, startLab, writeRke2Files, type Lab } from "../support/lab/index.js";
import { captureLogger, machineState, MemoryNetworkHealthStore, startTlsServer } from "./agent-support.js";

const TOKEN = "K10feedface0123456789abcdef01::server:Rke2-Lab-S3cret";
const SECRET_PARTS = ["Rke2-Lab-S3cret", "K10feedface"];

describe("agent on an RKE2 lab node whose RKE2_URL points at an etcd-only server", () => {
  let lab: Lab;
  let agent: Agent;
  let store: MemoryNetworkHealthStore;
  let etcdOnly: string;
  let live: string;
  let originals: Record<string, string>;
  let before: Record<string, unknown>;
  const servers: ChildProcess[] = [];
  const { logger, lines } = captureLogger("trace");
  const status = () => store.object?.status ?? {};
  const results = (orderId: string) => (status().agent?.results ?? []).filter((r) => r.orderId === orderId);
  const order = (orderId: string, actions: PlannedAction[]) => store.setControllerFields({ remediation: { phase: "Pending", orderId, actions } });
  const restarts = async () => (await lab.systemctlLog()).filter((c) => c.verb === "restart").map((c) => c.units.join(","));

  beforeAll(async () => {
    before = await machineState();
    lab = await startLab({ controlPorts: [8132] });
    const liveIP = lab.addresses.control.replace(/\.1$/, ".3");
    expect((await lab.execIn("control", ["ip", "addr", "add", `${liveIP}/24`, "dev", "eth0"])).code).toBe(0);
    etcdOnly = `${lab.addresses.control}:9345`;
    live = `${liveIP}:9345`;
    servers.push(await startTlsServer(lab, "control", lab.addresses.control, 9345, 503, "apiserver disabled\n"));
    servers.push(await startTlsServer(lab, "control", liveIP, 9345, 200, '{"major":"1","minor":"28","gitVersion":"v1.28.15+rke2r1"}'));
    await writeRke2Files(lab.workerPid, { server: `https://${etcdOnly}`, token: TOKEN });
    await lab.setSystemctlUnit("rke2-agent", { active: true });
    originals = Object.fromEntries(await Promise.all(Object.values(RKE2_PATHS).map(async (p) => [p, await lab.readFile(p)] as const)));
    store = new MemoryNetworkHealthStore(lab.hostname, { apiServers: [live] });
    const host = new HostExecutor(lab.workerPid);
    agent = new Agent(
      { nodeName: lab.hostname, intervalMs: 1000, heartbeatMs: 30_000, probeTimeoutMs: 2500, podNetwork: {}, version: "test" },
      { store, host, dialer: new HostNetworkDialer(host), logger },
    );
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it("reports RKE2, the server from the env file (config.yaml has none), its load balancer and unit", async () => {
    await agent.round();
    expect(status().facts?.distribution).toBe("rke2");
    expect(status().facts?.apiServer).toEqual({ configured: [`https://${etcdOnly}`], source: RKE2_PATHS.serviceEnv, loadBalancer: [etcdOnly], service: "rke2-agent" });
    expect(status().probes?.find((p) => p.purpose === "ConfiguredServer")).toMatchObject({ from: "Host", target: etcdOnly, result: "ok", detail: "apiserver disabled (HTTP 503)" });
  }, 60_000);

  it("refuses k3s' port 6443 on an RKE2 node: Failed, nothing touched, no restart", async () => {
    order("refuse-6443", [{ action: "RepointAPIServerEndpoint", server: `https://${live.replace(":9345", ":6443")}` }]);
    await agent.round();
    expect(results("refuse-6443")).toEqual([expect.objectContaining({ result: "Failed", detail: expect.stringMatching(/must use port 9345/) })]);
    for (const [path, content] of Object.entries(originals)) expect(await lab.readFile(path)).toBe(content);
    expect(await restarts()).toEqual([]);
  }, 60_000);

  it("re-points for real: only the RKE2_URL line changes (0600, backup kept), config.yaml untouched, LB state aside, rke2-agent restarted", async () => {
    order("repoint-1", [{ action: "RepointAPIServerEndpoint", server: `https://${live}` }]);
    await agent.round();
    expect(results("repoint-1")).toEqual([expect.objectContaining({ action: "RepointAPIServerEndpoint", result: "Succeeded" })]);
    expect(await lab.readFile(RKE2_PATHS.serviceEnv)).toBe(`# written by install.sh\nRKE2_TOKEN="${TOKEN}"\nRKE2_URL="https://${live}"\n`);
    expect(await lab.readFile(RKE2_PATHS.config)).toBe(originals[RKE2_PATHS.config]);
    const dir = lab.scratchPathOf(dirname(RKE2_PATHS.serviceEnv));
    const backup = readdirSync(dir).find((f) => f.startsWith(`${basename(RKE2_PATHS.serviceEnv)}.netmedic-bak-`));
    expect(backup).toMatch(/^rke2-agent\.netmedic-bak-\d{8}T\d{6}Z$/);
    expect(readFileSync(`${dir}/${backup}`, "utf8")).toBe(originals[RKE2_PATHS.serviceEnv]);
    expect(statSync(`${dir}/${backup}`).mode & 0o777).toBe(0o600);
    expect(statSync(lab.scratchPathOf(RKE2_PATHS.serviceEnv)).mode & 0o777).toBe(0o600);
    expect((await lab.execIn("worker", ["test", "-e", RKE2_PATHS.loadBalancer])).code).toBe(1);
    expect(await restarts()).toEqual(["rke2-agent"]);
    await agent.round();
    expect(status().facts?.apiServer?.configured).toEqual([`https://${live}`]);
    expect(status().probes?.find((p) => p.purpose === "ConfiguredServer")).toMatchObject({ target: live, detail: "serves the API (HTTP 200, v1.28.15+rke2r1)" });
  }, 90_000);

  it("the revert restores the env file and the LB state and restarts once more", async () => {
    await agent.outcomes.get("repoint-1/RepointAPIServerEndpoint")?.revert?.();
    for (const [path, content] of Object.entries(originals)) expect(await lab.readFile(path)).toBe(content);
    expect(await restarts()).toEqual(["rke2-agent", "rke2-agent"]);
  }, 90_000);

  it("the token never appears in any log line, applied status, result detail or fact", async () => {
    const everything = [...lines, JSON.stringify(store.applied), JSON.stringify(store.object), JSON.stringify([...agent.outcomes.values()].map((o) => o.detail))].join("\n");
    expect(lines.length).toBeGreaterThan(5);
    for (const secret of SECRET_PARTS) expect(everything).not.toContain(secret);
  });

  it("this machine's own files and network never changed", async () => {
    for (const server of servers) server.kill("SIGKILL");
    expect(await machineState()).toEqual(before);
  });
});
