// The checkpoint on a real disk (a temp dir): written atomically and 0600, read back, and every
// unusable file — damaged, cut short, too big, a directory in its place — reported and moved
// aside, never thrown; a temp file left by a kill mid-write never counts.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_CHECKPOINT_BYTES, serializeCheckpoint, type Checkpoint } from "../../../../src/agent/checkpoint/checkpoint-file.js";
import { CheckpointStore } from "../../../../src/agent/checkpoint/checkpoint-store.js";

const checkpoint: Checkpoint = { version: 1, orderId: "o-1", armedAt: "2026-12-04T12:00:00Z", deadline: "2026-12-04T12:02:00Z", actions: [{ action: "OpenUfw", changes: [{ what: "x", undo: [{ kind: "command", argv: ["ufw", "delete", "allow", "22"] }] }] }] };
const now = new Date(1_000_000);

describe("CheckpointStore", () => {
  let dir: string;
  let store: CheckpointStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "netmedic-checkpoint-"));
    store = new CheckpointStore(join(dir, "state"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("absent: none; written: armed, read back equal, file 0600 in a 0700 directory it created; cleared: none", () => {
    expect(store.read(now)).toEqual({ kind: "none" });
    store.write(checkpoint);
    expect(store.read(now)).toEqual({ kind: "armed", checkpoint });
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(store.dir)).toEqual(["checkpoint.json"]);
    store.clear();
    expect(store.read(now)).toEqual({ kind: "none" });
  });

  it("a temp file left by a kill mid-write is dropped: the previous checkpoint stands", () => {
    store.write(checkpoint);
    writeFileSync(`${store.path}.tmp`, '{"version":1,"ord');
    expect(store.read(now)).toEqual({ kind: "armed", checkpoint });
    expect(readdirSync(store.dir)).toEqual(["checkpoint.json"]);
  });

  it.each([
    ["cut short", () => serializeCheckpoint(checkpoint).slice(0, 40), /^not JSON/],
    ["empty", () => "", /^empty/],
    ["damaged (unknown step)", () => serializeCheckpoint(checkpoint).replace('"command"', '"shell"'), /unknown undo step kind/],
    ["too big", () => " ".repeat(MAX_CHECKPOINT_BYTES + 10), /^larger than/],
  ])("%s: reported unusable and kept aside for a person, then none", (_name, content, reason) => {
    mkdirSync(store.dir, { recursive: true });
    writeFileSync(store.path, content());
    const read = store.read(now);
    expect(read).toEqual({ kind: "unusable", error: expect.stringMatching(reason), keptAt: `${store.path}.unusable-1000000` });
    expect(readdirSync(store.dir)).toEqual(["checkpoint.json.unusable-1000000"]);
    expect(store.read(now)).toEqual({ kind: "none" });
  });

  it("a directory where the file should be: unusable (cannot be read), never a throw", () => {
    mkdirSync(store.path, { recursive: true });
    expect(store.read(now)).toEqual({ kind: "unusable", error: "cannot be read: EISDIR", keptAt: `${store.path}.unusable-1000000` });
  });

  it("a state dir that cannot be created: write throws (the order then changes nothing)", () => {
    writeFileSync(join(dir, "file"), "");
    const blocked = new CheckpointStore(join(dir, "file", "state"));
    expect(() => blocked.write(checkpoint)).toThrow(/ENOTDIR/);
    expect(blocked.read(now)).toEqual({ kind: "unusable", error: "cannot be read: ENOTDIR" });
  });
});
