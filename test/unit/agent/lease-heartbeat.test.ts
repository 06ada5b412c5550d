// The agent's Lease heartbeat: when it renews, when it falls back to NetworkHealth heartbeats
// (403/404, warned once) and recovers, that other errors are retried every round without throwing,
// and that the report gate writes a heartbeat-only NetworkHealth only while the Lease is not working.
import { describe, expect, it } from "@jest/globals";
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { PROBE_TARGETS_ANNOTATION, type NetworkHealthStatus } from "../../../src/api/index.js";
import { Agent } from "../../../src/agent/agent.js";
import type { NetworkHealthStore } from "../../../src/agent/agent-config.js";
import { LeaseHeartbeat, type LeaseRenewer } from "../../../src/agent/lease-heartbeat.js";
import { ReportGate, type AgentReport } from "../../../src/agent/report.js";
import { AbsentHost } from "../../fixtures/absent-host.js";
import { ApiRequestError } from "../../../src/k8s/light/rest-client.js";

const HEARTBEAT = 1000;

function capture(): { lines: () => Array<Record<string, unknown>>; logger: Logger } {
  const raw: string[] = [];
  const logger = pino({ level: "debug" }, new Writable({ write: (c, _e, done) => void (raw.push(String(c)), done()) }));
  return { logger, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A renewer answering from a script: an error or "ok" per call, the last entry repeating. */
function scripted(answers: Array<number | "ok" | Error>): LeaseRenewer & { calls: Array<[string, number, Date]> } {
  const calls: Array<[string, number, Date]> = [];
  return {
    calls,
    renew: async (node, seconds, now) => {
      const answer = answers[Math.min(calls.length, answers.length - 1)];
      calls.push([node, seconds, now]);
      if (answer instanceof Error) throw answer;
      if (typeof answer === "number") throw new ApiRequestError(answer, undefined, `HTTP ${answer}`);
    },
  };
}

const heartbeatWith = (renewer: LeaseRenewer, logger: Logger): LeaseHeartbeat => new LeaseHeartbeat(renewer, { node: "worker-1", heartbeatMs: HEARTBEAT, leaseDurationSeconds: 3, logger });

/** Runs rounds at the given times (ms) and returns the state after each. */
async function roundsAt(heartbeat: LeaseHeartbeat, times: number[]): Promise<string[]> {
  const states: string[] = [];
  for (const t of times) {
    await heartbeat.round(new Date(t));
    states.push(`${heartbeat.current}:${heartbeat.working(t)}`);
  }
  return states;
}

describe("LeaseHeartbeat", () => {
  it.each<[string, Array<number | "ok" | Error>, number[], number[], string]>([
    ["renews at start, then once a heartbeat", ["ok"], [0, 500, 999, 1000, 1500, 2000], [0, 1000, 2000], "working:true"],
    ["403 falls back and retries only at the next heartbeat", [403], [0, 500, 999, 1000], [0, 1000], "fallback:false"],
    ["404 (namespace missing) falls back like 403", [404], [0, 500], [0], "fallback:false"],
    ["a fallback recovers at the next heartbeat", [404, "ok"], [0, 500, 1000, 1500, 2000], [0, 1000, 2000], "working:true"],
    ["a 409 the client's own retry did not resolve is retried next round, not a fallback", ["ok", 409, "ok"], [0, 1000, 1100, 1200], [0, 1000, 1100], "working:true"],
    ["a 5xx is retried every round", ["ok", 503, 503, "ok"], [0, 1000, 1100, 1200, 1300, 2200], [0, 1000, 1100, 1200, 2200], "working:true"],
  ])("%s", async (_name, answers, times, expectedCalls, finalState) => {
    const renewer = scripted(answers);
    const heartbeat = heartbeatWith(renewer, capture().logger);
    const states = await roundsAt(heartbeat, times);
    expect(renewer.calls.map(([, , now]) => now.getTime())).toEqual(expectedCalls);
    expect(renewer.calls.every(([node, seconds]) => node === "worker-1" && seconds === 3)).toBe(true);
    expect(states.at(-1)).toBe(finalState);
  });

  it("keeps counting as working through transient failures for under two heartbeats, then lets NetworkHealth heartbeat", async () => {
    const heartbeat = heartbeatWith(scripted(["ok", new Error("ETIMEDOUT")]), capture().logger);
    expect(await roundsAt(heartbeat, [0, 1000, 1999, 2000])).toEqual(["working:true", "working:true", "working:true", "working:false"]);
  });

  it("warns once per fallback, says when it recovers, and rate-limits warnings of other errors", async () => {
    const { logger, lines } = capture();
    const heartbeat = heartbeatWith(scripted([403, 403, "ok", 500]), logger);
    await roundsAt(heartbeat, [0, 1000, 2000, 3000, 3100, 3200, 4100]);
    const messages = lines().map((l) => `${l.level}:${String(l.msg)}`);
    expect(messages).toEqual([
      "40:heartbeat Lease cannot be written; heartbeating through NetworkHealth status instead",
      "30:heartbeat Lease renewed again; NetworkHealth status is written only when the report changes",
      "40:heartbeat Lease renewal failed; retrying next round",
      "20:heartbeat Lease renewal failed; retrying next round",
      "20:heartbeat Lease renewal failed; retrying next round",
      "40:heartbeat Lease renewal failed; retrying next round",
    ]);
    expect(lines()[0]).toMatchObject({ node: "worker-1", code: 403 });
  });
});

describe("ReportGate", () => {
  const report: AgentReport = { probes: [], results: [], version: "v1" };
  it.each([
    ["first report", false, 0, true],
    ["unchanged, heartbeat due, no Lease", false, HEARTBEAT, true],
    ["unchanged, heartbeat due, Lease working", true, HEARTBEAT, false],
    ["unchanged, heartbeat not due", false, HEARTBEAT - 1, false],
  ])("%s", (name, leaseWorking, elapsed, due) => {
    const gate = new ReportGate(HEARTBEAT);
    if (name !== "first report") gate.written(report, 0);
    expect(gate.due(report, elapsed, leaseWorking)).toBe(due);
  });

  it("writes changed content whether or not the Lease works", () => {
    const gate = new ReportGate(HEARTBEAT);
    gate.written(report, 0);
    expect(gate.due({ ...report, version: "v2" }, 1, true)).toBe(true);
  });
});

describe("Agent with a Lease heartbeat", () => {
  const health = { apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: "worker-1", annotations: { [PROBE_TARGETS_ANNOTATION]: "{}" } } };

  /** Rounds a heartbeat apart on an agent whose host gives the same (failed) facts every round. */
  async function outcomes(renewer: LeaseRenewer | undefined): Promise<{ outcomes: string[]; writes: number }> {
    const applied: NetworkHealthStatus[] = [];
    const store: NetworkHealthStore = { get: async () => health, applyStatus: async (_n, status) => void applied.push(status) };
    let now = 0;
    const { logger } = capture();
    const leaseHeartbeat = renewer && heartbeatWith(renewer, logger);
    const dialer = { dial: async () => { throw new Error("must not dial"); } };
    const agent = new Agent(
      { nodeName: "worker-1", intervalMs: 100, heartbeatMs: HEARTBEAT, probeTimeoutMs: 100, podNetwork: {}, version: "test" },
      { store, host: new AbsentHost(), dialer, logger, clock: () => new Date(now), ...(leaseHeartbeat ? { leaseHeartbeat } : {}) },
    );
    const result: string[] = [];
    for (const t of [0, 1000, 2000, 3000]) {
      now = t;
      result.push(await agent.round());
    }
    return { outcomes: result, writes: applied.length };
  }

  it.each([
    ["without a Lease heartbeat: NetworkHealth heartbeats (today's behaviour)", undefined, ["changed", "reported", "reported", "reported"]],
    ["with a working Lease: no heartbeat-only NetworkHealth writes", scripted(["ok"]), ["changed", "unchanged", "unchanged", "unchanged"]],
    ["with a Lease refused (403): NetworkHealth heartbeats", scripted([403]), ["changed", "reported", "reported", "reported"]],
    ["a Lease that starts working ends the NetworkHealth heartbeats", scripted([404, "ok"]), ["changed", "reported", "unchanged", "unchanged"]],
  ])("%s", async (_name, renewer, expected) => {
    const { outcomes: got, writes } = await outcomes(renewer);
    expect(got).toEqual(expected);
    expect(writes).toBe(got.filter((o) => o !== "unchanged").length);
  });
});
