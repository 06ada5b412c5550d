// The Agent's side of recovery, over a temp-dir checkpoint and a recording host: the rollback runs
// at the first round BEFORE the API is asked anything (a cut-off node heals itself first), its
// result replaces the dead process's Succeeded for that action, and an unusable checkpoint is
// reported in facts.errors, touching nothing on the host.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { ActionResult, NetworkHealthStatus } from "../../../../src/api/index.js";
import { Agent } from "../../../../src/agent/agent.js";
import type { NetworkHealthStore } from "../../../../src/agent/agent-config.js";
import { CheckpointStore } from "../../../../src/agent/checkpoint/checkpoint-store.js";
import { RecordingHost } from "./recording-host.js";

describe("agent recovery at start", () => {
  let dir: string;
  let fake: RecordingHost;
  let events: string[];
  let applied: NetworkHealthStatus[];
  const published: ActionResult[] = [{ orderId: "o-7", action: "OpenUfw", result: "Succeeded", detail: "allow A", time: "2026-12-04T12:00:01Z" }];
  const store = (): NetworkHealthStore => ({
    get: async () => {
      events.push("GET");
      return { apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: "worker-1" }, status: { agent: { results: published } } };
    },
    applyStatus: async (_name, status) => void applied.push(status),
  });
  const agent = () => new Agent(
    { nodeName: "worker-1", intervalMs: 100, heartbeatMs: 60_000, probeTimeoutMs: 100, podNetwork: {}, version: "test", deadMan: { stateDir: dir, confirmTimeoutMs: 5000 } },
    { store: store(), host: fake.host, dialer: { dial: async (jobs) => jobs.map(() => ({ result: "ETIMEDOUT", latencyMs: 1 })) }, logger: pino({ level: "silent" }) },
  );

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "netmedic-agent-recovery-"));
    fake = new RecordingHost();
    events = [];
    applied = [];
    fake.fail = (argv) => {
      events.push(argv.join(" ")); // the host's calls, in order with the API's
      return undefined;
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("rolls back before the first GET, replaces the Succeeded result, and reports it", async () => {
    new CheckpointStore(dir).write({ version: 1, orderId: "o-7", armedAt: "2026-12-04T12:00:00Z", deadline: "2026-12-04T12:02:00Z", actions: [{ action: "OpenUfw", changes: [{ what: "allow A", undo: [{ kind: "command", argv: ["ufw", "delete", "allow", "A"] }] }] }] });
    await agent().round();
    expect(events.slice(0, 2)).toEqual(["ufw delete allow A", "GET"]);
    const results = applied.at(-1)?.agent?.results ?? [];
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ orderId: "o-7", action: "OpenUfw", result: "Failed", reason: "RolledBack", detail: expect.stringMatching(/^RolledBack: the agent stopped before confirming order o-7 .*; undid allow A$/) });
    expect(new CheckpointStore(dir).read()).toEqual({ kind: "none" });
  });

  it("an unusable checkpoint: reported in facts.errors, nothing undone, the dead process's result kept", async () => {
    writeFileSync(join(dir, "checkpoint.json"), '{"version":1,"orderId":"o-7","armedAt":"2026-12-04T12:00:00Z","actions":[{"action":"OpenUfw","changes":[{"what":"allow A","undo":[{"kind":"command","argv":["ufw"');
    await agent().round();
    expect(events.filter((e) => e.startsWith("ufw delete"))).toEqual([]);
    const status = applied.at(-1);
    expect(status?.facts?.errors).toContainEqual(expect.stringMatching(/^checkpoint .*checkpoint\.json unusable: not JSON \(cut short or damaged\) \(kept as .*checkpoint\.json\.unusable-\d+; check the host by hand\)$/));
    expect(status?.agent?.results).toEqual(published);
  });
});
