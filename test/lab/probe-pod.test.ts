// `netmedic probe` in the lab's pod network namespace, unprivileged (uid nobody), asked by the
// agent's real dialer from the worker's host netns over the node-local path — which works while
// forwarding is broken. Sources other than the pod's gateway and targets off the allowlist are refused.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { HostNetworkDialer } from "../../src/agent/host-dialer.js";
import { HostExecutor } from "../../src/agent/host-executor.js";
import { startLab, type Lab, type LabHost } from "../support/lab/index.js";
import { startPodProbe, type PodProbe } from "./agent-support.js";

// Fixed program: one HTTP request to the probe, printing the status and body.
const ASK = `
const [url, body] = process.argv.slice(1);
fetch(url, { method: "POST", body }).then(async (r) => process.stdout.write(r.status + " " + await r.text()), (e) => process.stdout.write("ERR " + (e.cause?.code ?? e.message)));
`;

describe("netmedic probe in the lab's pod network", () => {
  let lab: Lab;
  let probe: PodProbe;
  let dialer: HostNetworkDialer;
  const ask = async (from: LabHost, target: string): Promise<string> =>
    (await lab.execIn(from, [process.execPath, "-e", ASK, "--", `http://${probe.endpoint}/dial`, JSON.stringify({ target, timeoutMs: 1500 })])).stdout;

  beforeAll(async () => {
    lab = await startLab({ ipForward: 0 });
    probe = await startPodProbe(lab, 9191);
    dialer = new HostNetworkDialer(new HostExecutor(lab.workerPid));
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it("runs as nobody and defaults its allowed source to the pod's gateway (the host's bridge address)", () => {
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${probe.child.pid}/status`, "utf8"))?.[1];
    expect(uid).toBe("65534");
    expect(probe.log()).toContain(`"allow":["${lab.addresses.bridgeIP}/32"]`);
  });

  it("answers the agent's dialer from the host netns while forwarding is off: the pod's own outcome", async () => {
    const { control } = lab.addresses;
    const outcomes = await dialer.dial([
      { kind: "probe", probe: probe.endpoint, target: `${control}:8132`, timeoutMs: 1500 },
      { kind: "tcp", target: `${control}:8132`, timeoutMs: 1500 },
    ]);
    expect(outcomes.map((o) => o.result)).toEqual(["ETIMEDOUT", "ok"]);
    expect(outcomes[0]?.latencyMs).toBeGreaterThanOrEqual(1400);
  }, 60_000);

  it("refuses targets off the allowlist and sources other than its node's host", async () => {
    expect(await ask("worker", `${lab.addresses.control}:22`)).toBe('403 {"error":"target not allowed"}');
    expect(await ask("pod", `${lab.addresses.control}:8132`)).toBe('403 {"error":"source not allowed"}');
    expect(probe.log()).toContain('"reason":"source not allowed"');
  }, 60_000);

  it("when the probe is gone the agent gets EPROBEUNAVAILABLE, never a pod-network verdict", async () => {
    const exited = new Promise<number | null>((resolve) => probe.child.once("exit", (code) => resolve(code)));
    probe.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const [outcome] = await dialer.dial([{ kind: "probe", probe: probe.endpoint, target: `${lab.addresses.control}:8132`, timeoutMs: 1000 }]);
    expect(outcome).toMatchObject({ result: "EPROBEUNAVAILABLE", detail: "probe unreachable: ECONNREFUSED" });
  }, 60_000);
});
