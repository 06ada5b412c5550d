// The dead-man switch's logic over a real temp-dir checkpoint and a recording host: every journal
// change is on disk before `record` returns; a rollback undoes newest first, action by action,
// and says what it undid; recovery at start rolls back whatever a dead process left (deadline
// passed or not), reports an unusable file, and never throws; confirmation probes until the deadline.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChangeJournal } from "../../../../src/agent/actions/journal.js";
import { CheckpointStore } from "../../../../src/agent/checkpoint/checkpoint-store.js";
import { confirmReachable } from "../../../../src/agent/checkpoint/confirm.js";
import { OrderCheckpoint, recoverCheckpoint } from "../../../../src/agent/checkpoint/order-checkpoint.js";
import type { Dialer } from "../../../../src/agent/host-dialer.js";
import { RecordingHost } from "./recording-host.js";

const T0 = new Date("2026-12-04T12:00:00Z");
const onDisk = (store: CheckpointStore): unknown => JSON.parse(readFileSync(store.path, "utf8"));

describe("order checkpoint", () => {
  let dir: string;
  let store: CheckpointStore;
  let fake: RecordingHost;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "netmedic-order-"));
    store = new CheckpointStore(dir);
    fake = new RecordingHost();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Two actions' changes journaled through the checkpoint, as an order would make them. */
  const armWithChanges = (): OrderCheckpoint => {
    const checkpoint = OrderCheckpoint.arm(store, "o-7", T0, 120_000);
    const first = new ChangeJournal(fake.host, checkpoint.sinkFor("EnableIPForwarding"));
    first.record("set net.ipv4.ip_forward=1", { kind: "sysctl", key: "net.ipv4.ip_forward", value: 0 });
    const second = new ChangeJournal(fake.host, checkpoint.sinkFor("OpenUfw"));
    second.record("allow A", { kind: "command", argv: ["ufw", "delete", "allow", "A"] });
    second.recordLast("restarted x", { kind: "command", argv: ["systemctl", "restart", "x.service"] });
    second.record("allow B", { kind: "command", argv: ["ufw", "delete", "allow", "B"] });
    return checkpoint;
  };

  it("armed before any change with its deadline; each record is on disk when it returns", () => {
    const checkpoint = OrderCheckpoint.arm(store, "o-7", T0, 120_000);
    expect(onDisk(store)).toEqual({ version: 1, orderId: "o-7", armedAt: "2026-12-04T12:00:00Z", deadline: "2026-12-04T12:02:00Z", actions: [] });
    const journal = new ChangeJournal(fake.host, checkpoint.sinkFor("OpenUfw"));
    journal.record("allow A", { kind: "command", argv: ["ufw", "delete", "allow", "A"] });
    expect(onDisk(store)).toMatchObject({ actions: [{ action: "OpenUfw", changes: [{ what: "allow A" }] }] });
    expect(checkpoint.changed).toBe(true);
  });

  it("a failed action's own rollback empties its part of the checkpoint", async () => {
    const checkpoint = OrderCheckpoint.arm(store, "o-7", T0, 120_000);
    const journal = new ChangeJournal(fake.host, checkpoint.sinkFor("OpenUfw"));
    journal.record("allow A", { kind: "command", argv: ["ufw", "delete", "allow", "A"] });
    expect(await journal.rollback()).toEqual([]);
    expect(onDisk(store)).toMatchObject({ actions: [{ action: "OpenUfw", changes: [] }] });
    expect(checkpoint.changed).toBe(false);
  });

  it("a checkpoint that cannot be written fails the record (so the action rolls that change back)", () => {
    const checkpoint = OrderCheckpoint.arm(store, "o-7", T0, 120_000);
    const journal = new ChangeJournal(fake.host, checkpoint.sinkFor("OpenUfw"));
    expect(() => journal.record("huge", { kind: "write", path: "/etc/x", content: "x".repeat(40_000) })).toThrow(/write content too large/);
    expect(journal.changes).toEqual(["huge"]);
    const other = new ChangeJournal(fake.host, OrderCheckpoint.arm(store, "o-9", T0, 1000).sinkFor("OpenUfw"));
    for (let i = 0; i < 8; i++) other.record(`big ${i}`, { kind: "write", path: "/etc/x", content: "x".repeat(30_000) });
    expect(() => other.record("one too many", { kind: "write", path: "/etc/y", content: "y".repeat(30_000) })).toThrow(/exceed/);
    expect(other.changes).toContain("one too many");
  });

  it("rollback: newest action first, each newest change first, recordLast last; the file is gone", async () => {
    const rolled = await armWithChanges().rollback(fake.host, "probe failed");
    expect(fake.calls).toEqual(["ufw delete allow B", "ufw delete allow A", "systemctl restart x.service", "sysctl -q -w net.ipv4.ip_forward=0"]);
    expect(rolled).toEqual([
      { orderId: "o-7", action: "OpenUfw", detail: "RolledBack: probe failed; undid restarted x, allow A, allow B" },
      { orderId: "o-7", action: "EnableIPForwarding", detail: "RolledBack: probe failed; undid set net.ipv4.ip_forward=1" },
    ]);
    expect(store.read(T0)).toEqual({ kind: "none" });
  });

  it.each([
    ["before its deadline", new Date(T0.getTime() + 1000), /deadline 2026-12-04T12:02:00Z\)/],
    ["after its deadline", new Date(T0.getTime() + 600_000), /deadline 2026-12-04T12:02:00Z, passed\)/],
  ])("recovery at start rolls back a checkpoint left %s", async (_name, now, deadline) => {
    armWithChanges();
    const recovery = await recoverCheckpoint(store, fake.host, now);
    expect(recovery.error).toBeUndefined();
    expect(recovery.rolledBack.map((r) => r.action)).toEqual(["OpenUfw", "EnableIPForwarding"]);
    expect(recovery.rolledBack[0]?.detail).toMatch(/^RolledBack: the agent stopped before confirming order o-7 \(armed 2026-12-04T12:00:00Z, /);
    expect(recovery.rolledBack[0]?.detail).toMatch(deadline);
    expect(fake.calls).toHaveLength(4);
    expect(store.read(now)).toEqual({ kind: "none" });
  });

  it("recovery reports an undo that fails (ROLLBACK INCOMPLETE) and a change without persisted undo", async () => {
    const checkpoint = OrderCheckpoint.arm(store, "o-8", T0, 1000);
    const journal = new ChangeJournal(fake.host, checkpoint.sinkFor("OpenUfw"));
    journal.record("in-process only", async () => undefined);
    journal.record("allow A", { kind: "command", argv: ["ufw", "delete", "allow", "A"] });
    fake.fail = () => ({ code: 1, stdout: "", stderr: "ERROR: Could not delete\n", timedOut: false });
    const { rolledBack } = await recoverCheckpoint(store, fake.host, T0);
    expect(rolledBack[0]?.detail).toMatch(/ROLLBACK INCOMPLETE: in-process only: no persisted undo, check by hand; allow A: ufw delete allow … exited 1: ERROR: Could not delete$/);
  });

  it("recovery with nothing armed does nothing; with a corrupt file reports it, keeps it aside and touches nothing", async () => {
    expect(await recoverCheckpoint(store, fake.host, T0)).toEqual({ rolledBack: [] });
    armWithChanges();
    rmSync(store.path);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(store.path, '{"version":1,"orderId":"o-7","armedAt":"2026');
    const recovery = await recoverCheckpoint(store, fake.host, T0);
    expect(recovery).toEqual({ rolledBack: [], error: `checkpoint ${store.path} unusable: not JSON (cut short or damaged) (kept as ${store.path}.unusable-${T0.getTime()}; check the host by hand)` });
    expect(fake.calls).toEqual([]);
  });
});

describe("confirmReachable", () => {
  const answer = (result: string, detail?: string): Dialer => ({ dial: async (jobs) => jobs.map(() => ({ result, latencyMs: 1, ...(detail ? { detail } : {}) })) });
  const fakeClock = () => {
    let ms = T0.getTime();
    return { now: () => new Date((ms += 400)) };
  };

  it.each([
    ["an apiserver answering /version", answer("ok", "serves the API (HTTP 200, v1.28.1)"), true, /^API server reachable/],
    ["an apiserver refusing anonymous (a Status)", answer("ok", "serves the API (HTTP 401, Status)"), true, /^API server reachable/],
    ["an etcd-only server", answer("ok", "apiserver disabled (HTTP 503)"), false, /apiserver disabled/],
    ["a timeout", answer("ETIMEDOUT"), false, /10\.0\.0\.1:6443 ETIMEDOUT/],
    ["a dialer that fails", { dial: async () => Promise.reject(new Error("nsenter gone")) }, false, /dialer failed: nsenter gone/],
  ])("%s", async (_name, dialer, confirmed, detail) => {
    const clock = fakeClock();
    const result = await confirmReachable(dialer as Dialer, ["10.0.0.1:6443"], new Date(T0.getTime() + 1000), clock.now);
    expect(result.confirmed).toBe(confirmed);
    expect(result.detail).toMatch(detail);
  });

  it("no endpoint known: confirmed without a probe, and says so", async () => {
    expect(await confirmReachable(answer("ETIMEDOUT"), [], T0, () => T0)).toEqual({ confirmed: true, detail: "no apiserver endpoint known: confirmed without a probe" });
  });
});
