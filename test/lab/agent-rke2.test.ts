// The k3s incident's RKE2 shape (docs/architecture.md §8.2) on the node lab: an RKE2 agent installed with
// RKE2_URL, so its server lives in /etc/default/rke2-agent (one of the unit's EnvironmentFile=s)
// and config.yaml has none. It is pinned to an etcd-only server (a TLS stand-in on the supervisor
// port 9345 answering `apiserver disabled`) and re-pointed for real: the env file's URL line
// rewritten (token line and mode kept, backup made), config.yaml untouched, load-balancer state
// moved aside, rke2-agent restarted through the lab's systemctl; the token never leaks.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname } from "node:path";
import { RKE2_PATHS, writeRke2Files } from "../support/lab/index.js";
import { itKeepsTheTokenAndThisMachine, startPinnedAgentLab, type PinnedAgentLab } from "./pinned-agent.js";

const TOKEN = "K10feedface0123456789abcdef01::server:Rke2-Lab-S3cret";
const SECRET_PARTS = ["Rke2-Lab-S3cret", "K10feedface"];

describe("agent on an RKE2 lab node whose RKE2_URL points at an etcd-only server", () => {
  let pinned: PinnedAgentLab;
  let etcdOnly: string;
  let live: string;

  beforeAll(async () => {
    pinned = await startPinnedAgentLab({
      port: 9345, gitVersion: "v1.28.15+rke2r1",
      writeHostFiles: async (lab, server) => {
        await lab.setSystemctlUnit("rke2-agent", { active: true });
        return Object.values(await writeRke2Files(lab.workerPid, { server, token: TOKEN }));
      },
    });
    ({ etcdOnly, live } = pinned);
  }, 120_000);

  afterAll(async () => {
    await pinned?.stop();
  }, 60_000);

  it("reports RKE2, the server from the env file (config.yaml has none), its load balancer and unit", async () => {
    await pinned.agent.round();
    expect(pinned.status().facts?.distribution).toBe("rke2");
    expect(pinned.status().facts?.apiServer).toEqual({ configured: [`https://${etcdOnly}`], source: RKE2_PATHS.serviceEnv, loadBalancer: [etcdOnly], service: "rke2-agent" });
    expect(pinned.status().probes?.find((p) => p.purpose === "ConfiguredServer")).toMatchObject({ from: "Host", target: etcdOnly, result: "ok", detail: "apiserver disabled (HTTP 503)" });
  }, 60_000);

  it("refuses k3s' port 6443 on an RKE2 node: Failed, nothing touched, no restart", async () => {
    pinned.order("refuse-6443", [{ action: "RepointAPIServerEndpoint", server: `https://${live.replace(":9345", ":6443")}` }]);
    await pinned.agent.round();
    expect(pinned.results("refuse-6443")).toEqual([expect.objectContaining({ result: "Failed", detail: expect.stringMatching(/must use port 9345/) })]);
    for (const [path, content] of Object.entries(pinned.originals)) expect(await pinned.lab.readFile(path)).toBe(content);
    expect(await pinned.restarts()).toEqual([]);
  }, 60_000);

  it("re-points for real: only the RKE2_URL line changes (0600, backup kept), config.yaml untouched, LB state aside, rke2-agent restarted", async () => {
    pinned.order("repoint-1", [{ action: "RepointAPIServerEndpoint", server: `https://${live}` }]);
    await pinned.agent.round();
    expect(pinned.results("repoint-1")).toEqual([expect.objectContaining({ action: "RepointAPIServerEndpoint", result: "Succeeded" })]);
    expect(await pinned.lab.readFile(RKE2_PATHS.serviceEnv)).toBe(`# written by install.sh\nRKE2_TOKEN="${TOKEN}"\nRKE2_URL="https://${live}"\n`);
    expect(await pinned.lab.readFile(RKE2_PATHS.config)).toBe(pinned.originals[RKE2_PATHS.config]);
    const dir = pinned.lab.scratchPathOf(dirname(RKE2_PATHS.serviceEnv));
    const backup = readdirSync(dir).find((f) => f.startsWith(`${basename(RKE2_PATHS.serviceEnv)}.netmedic-bak-`));
    expect(backup).toMatch(/^rke2-agent\.netmedic-bak-\d{8}T\d{6}Z$/);
    expect(readFileSync(`${dir}/${backup}`, "utf8")).toBe(pinned.originals[RKE2_PATHS.serviceEnv]);
    expect(statSync(`${dir}/${backup}`).mode & 0o777).toBe(0o600);
    expect(statSync(pinned.lab.scratchPathOf(RKE2_PATHS.serviceEnv)).mode & 0o777).toBe(0o600);
    expect((await pinned.lab.execIn("worker", ["test", "-e", RKE2_PATHS.loadBalancer])).code).toBe(1);
    expect(await pinned.restarts()).toEqual(["rke2-agent"]);
    await pinned.agent.round();
    expect(pinned.status().facts?.apiServer?.configured).toEqual([`https://${live}`]);
    expect(pinned.status().probes?.find((p) => p.purpose === "ConfiguredServer")).toMatchObject({ target: live, detail: "serves the API (HTTP 200, v1.28.15+rke2r1)" });
  }, 90_000);

  it("the revert restores the env file and the LB state and restarts once more", async () => {
    await pinned.agent.outcomes.get("repoint-1/RepointAPIServerEndpoint")?.revert?.();
    for (const [path, content] of Object.entries(pinned.originals)) expect(await pinned.lab.readFile(path)).toBe(content);
    expect(await pinned.restarts()).toEqual(["rke2-agent", "rke2-agent"]);
  }, 90_000);

  itKeepsTheTokenAndThisMachine(() => pinned, SECRET_PARTS);
});
