import { describe, expect, it } from "@jest/globals";
import { isPlainRecord } from "../../../src/core/plain-record.js";

describe("isPlainRecord", () => {
  it.each<[string, unknown, boolean]>([
    ["empty object", {}, true],
    ["object with fields", { a: 1, b: { c: "" } }, true],
    ["object without prototype", Object.create(null), true],
    ["null", null, false],
    ["undefined", undefined, false],
    ["empty array", [], false],
    ["array of objects", [{ a: 1 }], false],
    ["string", "a", false],
    ["number", 0, false],
    ["boolean", true, false],
  ])("%s → %s", (_name, value, expected) => {
    expect(isPlainRecord(value)).toBe(expected);
  });
});
