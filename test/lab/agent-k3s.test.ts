// The k3s incident (docs/architecture.md §8.2) on the node lab: an agent pinned to an etcd-only server (a TLS
// stand-in answering `apiserver disabled`) is re-pointed to a live apiserver for real — backup
// kept, comments and token line intact, load-balancer state moved aside, k3s-agent restarted
// through the lab's systemctl — and the join token never appears in any log, status or detail.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { K3S_PATHS } from "../support/lab/index.js";
import { itKeepsTheTokenAndThisMachine, startPinnedAgentLab, type PinnedAgentLab } from "./pinned-agent.js";

const TOKEN = "K10d3adbeefcafe0123456789abcdef::server:Lab-S3cret-Passw0rd";
const SECRET_PARTS = ["Lab-S3cret-Passw0rd", "K10d3adbeefcafe"];

describe("agent on a k3s lab node pinned to an etcd-only server", () => {
  let pinned: PinnedAgentLab;
  let etcdOnly: string;
  let live: string;

  beforeAll(async () => {
    pinned = await startPinnedAgentLab({
      port: 6443, gitVersion: "v1.28.15+k3s1",
      writeHostFiles: async (lab, server) => Object.values(await lab.writeK3sHostRoot({ server, token: TOKEN })),
    });
    ({ etcdOnly, live } = pinned);
  }, 120_000);

  afterAll(async () => {
    await pinned?.stop();
  }, 60_000);

  it("reports k3s, the configured etcd-only server (which answers `apiserver disabled`) and its load balancer", async () => {
    await pinned.agent.round();
    expect(pinned.status().facts?.distribution).toBe("k3s");
    expect(pinned.status().facts?.apiServer).toEqual({ configured: [`https://${etcdOnly}`], source: K3S_PATHS.config, loadBalancer: [etcdOnly], service: "k3s-agent" });
    expect(pinned.status().probes?.find((p) => p.purpose === "ConfiguredServer")).toMatchObject({ from: "Host", target: etcdOnly, result: "ok", detail: "apiserver disabled (HTTP 503)" });
    expect(pinned.status().probes?.find((p) => p.purpose === "APIServer" && p.from === "Host")).toMatchObject({ target: live, result: "ok" });
  }, 60_000);

  it.each([
    ["a server that is not a live apiserver (the etcd-only one)", () => `https://${etcdOnly}`, /not a live apiserver endpoint/],
    ["an injection attempt", () => `https://${live}; systemctl stop firewalld`, /invalid server URL/],
    ["RKE2's port on a k3s node", () => `https://${live.replace(":6443", ":9345")}`, /must use port 6443/],
    ["a host name", () => "https://kubernetes.default:6443", /invalid server URL/],
  ])("refuses %s: Failed, nothing touched, no restart", async (name, server, reason) => {
    const orderId = `refuse-${name.replace(/\W+/g, "-")}`;
    pinned.order(orderId, [{ action: "RepointAPIServerEndpoint", server: server() }]);
    await pinned.agent.round();
    expect(pinned.results(orderId)).toEqual([expect.objectContaining({ result: "Failed", detail: expect.stringMatching(reason) })]);
    for (const [path, content] of Object.entries(pinned.originals)) expect(await pinned.lab.readFile(path)).toBe(content);
    expect(await pinned.restarts()).toEqual([]);
  }, 60_000);

  it("re-points for real: only the server lines change, backups kept (0600), LB state moved aside, k3s-agent restarted", async () => {
    pinned.order("repoint-1", [{ action: "RepointAPIServerEndpoint", server: `https://${live}` }]);
    await pinned.agent.round();
    expect(pinned.results("repoint-1")).toEqual([expect.objectContaining({ action: "RepointAPIServerEndpoint", result: "Succeeded" })]);
    const config = await pinned.lab.readFile(K3S_PATHS.config);
    const was = (pinned.originals[K3S_PATHS.config] ?? "").split("\n");
    const now = config.split("\n");
    expect(now.map((line, i) => (line === was[i] ? "=" : line))).toEqual(was.map((line) => (line.startsWith("server:") ? `server: https://${live}` : "=")));
    expect(config).toContain(`token: ${TOKEN}`);
    expect(config).toContain("# kubelet-arg:");
    expect(await pinned.lab.readFile(K3S_PATHS.serviceEnv)).toBe(`K3S_TOKEN='${TOKEN}'\nK3S_URL='https://${live}'\n`);
    const dir = pinned.lab.scratchPathOf(dirname(K3S_PATHS.config));
    const backup = readdirSync(dir).find((f) => f.startsWith("config.yaml.netmedic-bak-"));
    expect(backup).toMatch(/^config\.yaml\.netmedic-bak-\d{8}T\d{6}Z$/);
    expect(readFileSync(`${dir}/${backup}`, "utf8")).toBe(pinned.originals[K3S_PATHS.config]);
    expect(statSync(`${dir}/${backup}`).mode & 0o777).toBe(0o600);
    expect(statSync(pinned.lab.scratchPathOf(K3S_PATHS.config)).mode & 0o777).toBe(0o600);
    expect((await pinned.lab.execIn("worker", ["test", "-e", K3S_PATHS.loadBalancer])).code).toBe(1);
    expect(await pinned.restarts()).toEqual(["k3s-agent"]);
    await pinned.agent.round();
    expect(pinned.status().facts?.apiServer?.configured).toEqual([`https://${live}`]);
    expect(pinned.status().probes?.find((p) => p.purpose === "ConfiguredServer")).toMatchObject({ target: live, detail: "serves the API (HTTP 200, v1.28.15+k3s1)" });
  }, 90_000);

  it("a repeated order is Skipped; the revert restores files and LB state and restarts once more", async () => {
    pinned.order("repoint-2", [{ action: "RepointAPIServerEndpoint", server: `https://${live}` }]);
    await pinned.agent.round();
    expect(pinned.results("repoint-2")).toEqual([expect.objectContaining({ result: "Skipped" })]);
    await pinned.agent.outcomes.get("repoint-1/RepointAPIServerEndpoint")?.revert?.();
    for (const [path, content] of Object.entries(pinned.originals)) expect(await pinned.lab.readFile(path)).toBe(content);
    expect(await pinned.restarts()).toEqual(["k3s-agent", "k3s-agent"]);
  }, 90_000);

  itKeepsTheTokenAndThisMachine(() => pinned, SECRET_PARTS);
});
