// The k3s incident (FACTS.md §2) on the node lab: an agent pinned to an etcd-only server (a TLS
// stand-in answering `apiserver disabled`) is re-pointed to a live apiserver for real — backup
// kept, comments and token line intact, load-balancer state moved aside, k3s-agent restarted
// through the lab's systemctl — and the join token never appears in any log, status or detail.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { PlannedAction } from "../../src/api/index.js";
import { Agent } from "../../src/agent/agent.js";
import { HostNetworkDialer } from "../../src/agent/host-dialer.js";
import { HostExecutor } from "../../src/agent/host-executor.js";
import { K3S_PATHS, startLab, type Lab } from "../support/lab/index.js";
import { captureLogger, machineState, MemoryNetworkHealthStore, startTlsServer } from "./agent-support.js";

const TOKEN = "K10d3adbeefcafe0123456789abcdef::server:Lab-S3cret-Passw0rd";
const SECRET_PARTS = ["Lab-S3cret-Passw0rd", "K10d3adbeefcafe"];

describe("agent on a k3s lab node pinned to an etcd-only server", () => {
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
    etcdOnly = `${lab.addresses.control}:6443`;
    live = `${liveIP}:6443`;
    servers.push(await startTlsServer(lab, "control", lab.addresses.control, 6443, 503, "apiserver disabled\n"));
    servers.push(await startTlsServer(lab, "control", liveIP, 6443, 200, '{"major":"1","minor":"28","gitVersion":"v1.28.15+k3s1"}'));
    await lab.writeK3sHostRoot({ server: `https://${etcdOnly}`, token: TOKEN });
    originals = Object.fromEntries(await Promise.all(Object.values(K3S_PATHS).map(async (p) => [p, await lab.readFile(p)] as const)));
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

  it("reports k3s, the configured etcd-only server (which answers `apiserver disabled`) and its load balancer", async () => {
    await agent.round();
    expect(status().facts?.distribution).toBe("k3s");
    expect(status().facts?.apiServer).toEqual({ configured: [`https://${etcdOnly}`], source: K3S_PATHS.config, loadBalancer: [etcdOnly], service: "k3s-agent" });
    expect(status().probes?.find((p) => p.purpose === "ConfiguredServer")).toMatchObject({ from: "Host", target: etcdOnly, result: "ok", detail: "apiserver disabled (HTTP 503)" });
    expect(status().probes?.find((p) => p.purpose === "APIServer" && p.from === "Host")).toMatchObject({ target: live, result: "ok" });
  }, 60_000);

  it.each([
    ["a server that is not a live apiserver (the etcd-only one)", () => `https://${etcdOnly}`, /not a live apiserver endpoint/],
    ["an injection attempt", () => `https://${live}; systemctl stop firewalld`, /invalid server URL/],
    ["RKE2's port on a k3s node", () => `https://${live.replace(":6443", ":9345")}`, /must use port 6443/],
    ["a host name", () => "https://kubernetes.default:6443", /invalid server URL/],
  ])("refuses %s: Failed, nothing touched, no restart", async (name, server, reason) => {
    const orderId = `refuse-${name.replace(/\W+/g, "-")}`;
    order(orderId, [{ action: "RepointAPIServerEndpoint", server: server() }]);
    await agent.round();
    expect(results(orderId)).toEqual([expect.objectContaining({ result: "Failed", detail: expect.stringMatching(reason) })]);
    for (const [path, content] of Object.entries(originals)) expect(await lab.readFile(path)).toBe(content);
    expect(await restarts()).toEqual([]);
  }, 60_000);

  it("re-points for real: only the server lines change, backups kept (0600), LB state moved aside, k3s-agent restarted", async () => {
    order("repoint-1", [{ action: "RepointAPIServerEndpoint", server: `https://${live}` }]);
    await agent.round();
    expect(results("repoint-1")).toEqual([expect.objectContaining({ action: "RepointAPIServerEndpoint", result: "Succeeded" })]);
    const config = await lab.readFile(K3S_PATHS.config);
    const was = (originals[K3S_PATHS.config] ?? "").split("\n");
    const now = config.split("\n");
    expect(now.map((line, i) => (line === was[i] ? "=" : line))).toEqual(was.map((line) => (line.startsWith("server:") ? `server: https://${live}` : "=")));
    expect(config).toContain(`token: ${TOKEN}`);
    expect(config).toContain("# kubelet-arg:");
    expect(await lab.readFile(K3S_PATHS.serviceEnv)).toBe(`K3S_TOKEN='${TOKEN}'\nK3S_URL='https://${live}'\n`);
    const dir = lab.scratchPathOf(dirname(K3S_PATHS.config));
    const backup = readdirSync(dir).find((f) => f.startsWith("config.yaml.netmedic-bak-"));
    expect(backup).toMatch(/^config\.yaml\.netmedic-bak-\d{8}T\d{6}Z$/);
    expect(readFileSync(`${dir}/${backup}`, "utf8")).toBe(originals[K3S_PATHS.config]);
    expect(statSync(`${dir}/${backup}`).mode & 0o777).toBe(0o600);
    expect(statSync(lab.scratchPathOf(K3S_PATHS.config)).mode & 0o777).toBe(0o600);
    expect((await lab.execIn("worker", ["test", "-e", K3S_PATHS.loadBalancer])).code).toBe(1);
    expect(await restarts()).toEqual(["k3s-agent"]);
    await agent.round();
    expect(status().facts?.apiServer?.configured).toEqual([`https://${live}`]);
    expect(status().probes?.find((p) => p.purpose === "ConfiguredServer")).toMatchObject({ target: live, detail: "serves the API (HTTP 200, v1.28.15+k3s1)" });
  }, 90_000);

  it("a repeated order is Skipped; the revert restores files and LB state and restarts once more", async () => {
    order("repoint-2", [{ action: "RepointAPIServerEndpoint", server: `https://${live}` }]);
    await agent.round();
    expect(results("repoint-2")).toEqual([expect.objectContaining({ result: "Skipped" })]);
    await agent.outcomes.get("repoint-1/RepointAPIServerEndpoint")?.revert?.();
    for (const [path, content] of Object.entries(originals)) expect(await lab.readFile(path)).toBe(content);
    expect(await restarts()).toEqual(["k3s-agent", "k3s-agent"]);
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
