// The agent loop's resilience, without a host: a NetworkHealth that does not exist yet (wait, no
// crash), a malformed probe-targets annotation (refused, reported once), API errors (capped jittered backoff, no crash), and a prompt clean stop on abort.
// Neither path reaches the host, so the executor points at a PID that is never entered.
import { describe, expect, it } from "@jest/globals";
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { PROBE_TARGETS_ANNOTATION, type NetworkHealth, type NetworkHealthStatus } from "../../../src/api/index.js";
import { Agent } from "../../../src/agent/agent.js";
import type { NetworkHealthStore } from "../../../src/agent/agent-config.js";
import { HostExecutor } from "../../../src/agent/host-executor.js";
import { runAgent } from "../../../src/agent/main.js";

function capture(): { lines: () => Array<Record<string, unknown>>; logger: Logger } {
  const raw: string[] = [];
  const logger = pino({ level: "debug" }, new Writable({ write: (c, _e, done) => void (raw.push(String(c)), done()) }));
  return { logger, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

function agentWith(store: NetworkHealthStore, logger: Logger): Agent {
  const dialer = { dial: async () => { throw new Error("must not dial"); } };
  return new Agent(
    { nodeName: "worker-1", intervalMs: 100, heartbeatMs: 1000, probeTimeoutMs: 100, podNetwork: {}, version: "test" },
    { store, host: new HostExecutor(2 ** 22 + 1), dialer, logger },
  );
}

describe("agent loop", () => {
  it("refuses a malformed probe-targets annotation, says so once, probes nothing from it and still reports", async () => {
    const { logger, lines } = capture();
    const applied: NetworkHealthStatus[] = [];
    const annotations = { [PROBE_TARGETS_ANNOTATION]: '{"konnectivity":"192.168.1.41:8132"}' };
    const store: NetworkHealthStore = {
      get: async () => ({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: "worker-1", annotations } }),
      applyStatus: async (_name, status) => void applied.push(status),
    };
    const agent = agentWith(store, logger);
    await agent.round();
    await agent.round();
    const refused = lines().filter((l) => l.msg === "probe targets refused");
    expect(refused).toHaveLength(1);
    expect(refused[0]?.error).toMatch(/konnectivity must be a list of strings/);
    expect(applied.length).toBeGreaterThanOrEqual(1);
    expect(applied[0]?.probes ?? []).toEqual([]);
  });

  it("waits for the controller to create the NetworkHealth, logging it once", async () => {
    const { logger, lines } = capture();
    let gets = 0;
    const store: NetworkHealthStore = {
      get: async () => {
        gets += 1;
        return undefined;
      },
      applyStatus: async () => { throw new Error("no writes"); },
    };
    const stop = new AbortController();
    const running = agentWith(store, logger).run(stop.signal);
    await new Promise((r) => setTimeout(r, 450));
    stop.abort();
    await running;
    expect(gets).toBeGreaterThanOrEqual(3);
    expect(lines().filter((l) => l.msg === "waiting for the controller to create the NetworkHealth")).toHaveLength(1);
    expect(lines().at(-1)?.msg).toBe("agent stopped");
  });

  it("API errors back off (jittered, growing) and never end the loop; abort stops it at once", async () => {
    const { logger, lines } = capture();
    const store: NetworkHealthStore = {
      get: async (): Promise<NetworkHealth | undefined> => { throw Object.assign(new Error("HTTP-Code: 503 Message: etcdserver: leader changed"), { code: 503 }); },
      applyStatus: async () => undefined,
    };
    const stop = new AbortController();
    const running = agentWith(store, logger).run(stop.signal);
    await new Promise((r) => setTimeout(r, 1700));
    const started = Date.now();
    stop.abort();
    await running;
    expect(Date.now() - started).toBeLessThan(200);
    const failures = lines().filter((l) => l.msg === "round failed");
    expect(failures.length).toBeGreaterThanOrEqual(2);
    const delays = failures.map((l) => l.retryInMs as number);
    expect(delays[0]).toBeGreaterThanOrEqual(500);
    expect(delays[0]).toBeLessThanOrEqual(1000);
    expect(delays[1]).toBeGreaterThanOrEqual(1000);
    expect(failures[0]?.error).toContain("leader changed");
  });

  it("runAgent rejects bad flags with exit code 2 before touching anything", async () => {
    const stderr = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await runAgent(["--host-pid", "1"])).toBe(2);
      expect(await runAgent(["--node-name", "w", "--pod-cidr", "10.0.0.0/8; id"])).toBe(2);
      expect(await runAgent(["--node-name", "w", "--kubeconfig", "/nonexistent/kubeconfig"])).toBe(1);
    } finally {
      process.stderr.write = stderr;
    }
  });
});
