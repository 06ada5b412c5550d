// The facts an order acts on: the last facts round when it started within the interval (the order
// was planned from that report; each action reads again what it changes), else a new round first.
// The host answers every process with a failure at once, so a facts round is counted by its one
// `firewall-cmd --state` (a failing firewalld is read state-first), and EnableIPForwarding starts none.
import { describe, expect, it } from "@jest/globals";
import { Writable } from "node:stream";
import { pino } from "pino";
import type { NetworkHealth } from "../../../src/api/index.js";
import { Agent } from "../../../src/agent/agent.js";
import { HostExecutor, type HostCommandOptions, type HostCommandResult } from "../../../src/agent/host-executor.js";

/** An executor that enters nothing: every process fails at once; it counts facts rounds. */
class FailingHost extends HostExecutor {
  factsRounds = 0;
  override async run(argv: readonly string[], _options?: HostCommandOptions): Promise<HostCommandResult> {
    if (argv[0] === "firewall-cmd" && argv[1] === "--state") this.factsRounds += 1;
    return { code: 1, stdout: "", stderr: "refused by the test host\n", timedOut: false };
  }
}

const INTERVAL_MS = 10_000;

function withOrder(orderId?: string): NetworkHealth {
  return {
    apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: "worker-1" },
    status: orderId ? { remediation: { phase: "Pending", orderId, actions: [{ action: "EnableIPForwarding" }] } } : {},
  };
}

/** Runs a round without an order, moves the clock by `laterMs`, runs a round with one; returns the facts rounds of the second and its log line. */
async function orderAfter(laterMs: number): Promise<{ rounds: number; received: Record<string, unknown> | undefined }> {
  const raw: string[] = [];
  const logger = pino({ level: "info" }, new Writable({ write: (c, _e, done) => void (raw.push(String(c)), done()) }));
  const host = new FailingHost(2 ** 22 + 1);
  let now = Date.parse("2026-12-04T12:00:00Z");
  let health = withOrder();
  const agent = new Agent(
    { nodeName: "worker-1", intervalMs: INTERVAL_MS, heartbeatMs: 300_000, probeTimeoutMs: 100, podNetwork: {}, version: "test" },
    { store: { get: async () => health, applyStatus: async () => undefined }, host, dialer: { dial: async () => { throw new Error("no dial"); } }, logger, clock: () => new Date(now) },
  );
  await agent.round();
  const before = host.factsRounds;
  now += laterMs;
  health = withOrder("worker-1-o1");
  await agent.round();
  const received = raw.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "order received");
  return { rounds: host.factsRounds - before, received };
}

describe("the facts an order acts on", () => {
  it("an order within the interval of the last facts round acts on it: one facts round (after the actions), not two", async () => {
    const { rounds, received } = await orderAfter(INTERVAL_MS - 1);
    expect(received).toMatchObject({ recentFacts: true, actions: ["EnableIPForwarding"] });
    expect(rounds).toBe(1);
  });

  it("an order later than one interval after the last facts round collects new facts first", async () => {
    const { rounds, received } = await orderAfter(INTERVAL_MS + 1);
    expect(received).toMatchObject({ recentFacts: false });
    expect(rounds).toBe(2);
  });
});
