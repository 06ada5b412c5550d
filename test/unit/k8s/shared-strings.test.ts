import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "@jest/globals";
import { shareStrings, sharedString } from "../../../src/k8s/shared-strings.js";

// Built at run time so that no two of them are the same literal in the source.
const fresh = (text: string) => JSON.parse(JSON.stringify(text)) as string;

// Jest's process runs without --expose-gc; a context created after the flag is set gets gc().
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

describe("sharedString", () => {
  it.each([
    ["an ordinary value", "kube-system"],
    ["the empty string", ""],
    ["__proto__ (a plain name in the table, not the prototype setter)", "__proto__"],
    ["an array-index-like value", "8132"],
    ["a negative number's text", "-1"],
    ["unicode", "Knoten-ü-✓"],
    ["a long message", "x".repeat(100_000)],
  ])("returns a string equal to %s", (_name, text) => {
    expect(sharedString(fresh(text))).toBe(text);
  });

  it("stores equal values once: 20,000 copies of a 1 KB value take ~20 MB, shared well under 2 MB", () => {
    const value = "m".repeat(1_024);
    const heldBytes = (share: (text: string) => string) => {
      collectGarbage();
      const before = process.memoryUsage().heapUsed;
      const held = Array.from({ length: 20_000 }, () => share(fresh(value)));
      collectGarbage();
      const bytes = process.memoryUsage().heapUsed - before;
      expect(held.every((text) => text === value)).toBe(true);
      return bytes;
    };
    expect(heldBytes((text) => text)).toBeGreaterThan(18_000_000);
    expect(heldBytes(sharedString)).toBeLessThan(2_000_000);
  });
});

describe("shareStrings", () => {
  it("returns its input with every field reading the same: strings equal, Dates, numbers, booleans, null kept", () => {
    const when = new Date("2026-11-23T10:00:00Z");
    const object = () => ({
      metadata: { name: fresh("n1"), labels: { [fresh("k8s-app")]: fresh("konnectivity-agent") }, creationTimestamp: when },
      spec: { args: [fresh("--proxy-server-port=8132"), fresh("--logtostderr=true")], replicas: 2, paused: false, nothing: null, absent: undefined },
    });
    const input = object();
    const before = object();
    expect(shareStrings(input)).toBe(input);
    expect(input).toStrictEqual(before);
    expect(input.metadata.creationTimestamp).toBe(when);
  });

  it("leaves frozen objects as they are", () => {
    const frozen = Object.freeze({ a: fresh("b"), nested: { c: fresh("d") } });
    expect(shareStrings(frozen)).toEqual({ a: "b", nested: { c: "d" } });
  });

  it.each([["a string", "x", "x"], ["a number", 3, 3], ["undefined", undefined, undefined], ["null", null, null]])(
    "returns %s unchanged", (_name, value, expected) => {
      expect(shareStrings(value)).toBe(expected);
    });
});
