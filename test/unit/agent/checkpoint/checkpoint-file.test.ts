// The checkpoint file as read back after a crash: every way it can be cut short, damaged or not
// ours is refused with a reason (never thrown), and what the agent writes is read back intact.
import { describe, expect, it } from "@jest/globals";
import {
  MAX_CHECKPOINT_BYTES, MAX_CHECKPOINT_CHANGES, parseCheckpoint, serializeCheckpoint, withActionChanges, type Checkpoint,
} from "../../../../src/agent/checkpoint/checkpoint-file.js";

const good = (): Checkpoint => ({
  version: 1, orderId: "order-1", armedAt: "2026-12-04T12:00:00Z", deadline: "2026-12-04T12:02:00Z",
  actions: [
    { action: "EnableIPForwarding", changes: [
      { what: "wrote /etc/sysctl.d/90-netmedic.conf", undo: [{ kind: "remove", path: "/etc/sysctl.d/90-netmedic.conf" }] },
      { what: "set net.ipv4.ip_forward=1", undo: [{ kind: "sysctl", key: "net.ipv4.ip_forward", value: 0 }] },
    ] },
    { action: "OpenHostFirewall", changes: [
      { what: "masquerade on zone public (runtime)", undo: [{ kind: "command", argv: ["firewall-cmd", "--zone=public", "--remove-masquerade"], timeoutMs: 30000, tolerate: "firewalld" }] },
      { what: "a closure-only change", },
    ] },
  ],
});
const text = (value: unknown): string => JSON.stringify(value);
// The table breaks the file's shape on purpose, anywhere in it: typed as a loose tree, not a Checkpoint.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
const edit = (change: (c: Loose) => void): string => {
  const c = structuredClone(good()) as unknown as Loose;
  change(c);
  return text(c);
};

describe("parseCheckpoint", () => {
  it("reads back what serializeCheckpoint wrote", () => {
    expect(parseCheckpoint(serializeCheckpoint(good()))).toEqual({ checkpoint: good() });
  });

  it.each([
    ["an empty file (cut before the first write completed)", "", /^empty/],
    ["whitespace only", "\n  \n", /^empty/],
    ["truncated JSON", serializeCheckpoint(good()).slice(0, 80), /^not JSON/],
    ["binary garbage", "\u0000\u0001\u00ff", /^not JSON/],
    ["a JSON array", "[]", /^not a JSON object$/],
    ["null", "null", /^not a JSON object$/],
    ["another version", edit((c) => (c.version = 2)), /^unknown version 2$/],
    ["no version", edit((c) => delete c.version), /^unknown version undefined$/],
    ["an orderId with a slash", edit((c) => (c.orderId = "../x")), /^invalid orderId$/],
    ["no deadline", edit((c) => delete c.deadline), /^deadline is not a time$/],
    ["a deadline that is no time", edit((c) => (c.deadline = "soon")), /^deadline is not a time$/],
    ["actions not a list", edit((c) => (c.actions = {})), /^actions is not a list$/],
    ["an action without a name", edit((c) => (c.actions[0].action = "rm -rf")), /^action without a valid name$/],
    ["changes not a list", edit((c) => (c.actions[0].changes = "x")), /changes is not a list$/],
    ["a change without description", edit((c) => (c.actions[0].changes[0] = { undo: [] })), /^change without a description$/],
    ["an unknown step kind", edit((c) => (c.actions[0].changes[0].undo = [{ kind: "shell", cmd: "reboot" }])), /^unknown undo step kind "shell"$/],
    ["a program not on the allowlist", edit((c) => (c.actions[1].changes[0].undo[0].argv = ["bash", "-c", "x"])), /^program "bash" is not allowlisted$/],
    ["an argv that is not strings", edit((c) => (c.actions[1].changes[0].undo[0].argv = ["ufw", 1])), /argv is not a list of strings$/],
    ["an unknown tolerance", edit((c) => (c.actions[1].changes[0].undo[0].tolerate = "everything")), /^unknown tolerance$/],
    ["a relative path", edit((c) => (c.actions[0].changes[0].undo[0].path = "etc/x")), /invalid host path/],
    ["a path with ..", edit((c) => (c.actions[0].changes[0].undo[0].path = "/etc/../root/x")), /invalid host path/],
    ["a sysctl value that is no integer", edit((c) => (c.actions[0].changes[1].undo[0].value = "1; reboot")), /^sysctl value is not an integer$/],
    ["a bad sysctl name", edit((c) => (c.actions[0].changes[1].undo[0].key = "net ipv4")), /sysctl name/],
    ["write content too large", edit((c) => (c.actions[0].changes[0].undo[0] = { kind: "write", path: "/etc/x", content: "x".repeat(40_000) })), /^write content too large$/],
    ["too many changes", edit((c) => (c.actions[0].changes = Array.from({ length: MAX_CHECKPOINT_CHANGES + 1 }, (_, i) => ({ what: `c${i}`, undo: [] })))), /^more than 128 changes$/],
    ["a file over the size bound", " ".repeat(MAX_CHECKPOINT_BYTES + 1), /^larger than/],
  ])("refuses %s", (_name, input, reason) => {
    const parsed = parseCheckpoint(input);
    expect("error" in parsed && parsed.error).toMatch(reason);
  });
});

describe("serializeCheckpoint and withActionChanges", () => {
  it("refuses to write beyond the bounds (the change is then undone at once by the action)", () => {
    const many = withActionChanges(good(), "OpenUfw", Array.from({ length: MAX_CHECKPOINT_CHANGES }, (_, i) => ({ what: `c${i}`, undo: [] })));
    expect(() => serializeCheckpoint(many)).toThrow(/more than 128 changes/);
    const big = withActionChanges(good(), "OpenUfw", Array.from({ length: 10 }, (_, i) => ({ what: `c${i}`, undo: [{ kind: "write" as const, path: "/etc/x", content: "x".repeat(30_000) }] })));
    expect(() => serializeCheckpoint(big)).toThrow(/exceed/);
  });

  it("replaces one action's changes in place and appends a new action at the end", () => {
    const replaced = withActionChanges(good(), "EnableIPForwarding", []);
    expect(replaced.actions.map((a) => [a.action, a.changes.length])).toEqual([["EnableIPForwarding", 0], ["OpenHostFirewall", 2]]);
    const added = withActionChanges(good(), "OpenUfw", [{ what: "x" }]);
    expect(added.actions.map((a) => a.action)).toEqual(["EnableIPForwarding", "OpenHostFirewall", "OpenUfw"]);
  });
});
