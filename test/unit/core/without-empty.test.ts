import { describe, expect, it } from "@jest/globals";
import { withoutEmpty } from "../../../src/core/without-empty.js";

describe("withoutEmpty", () => {
  it.each<[string, unknown, unknown]>([
    ["drops an empty field", { zone: "", name: "public" }, { name: "public" }],
    ["drops an undefined field and array item", { zone: undefined, ports: [undefined, "8132/tcp"] }, { ports: ["8132/tcp"] }],
    ["drops nested empty fields", { firewall: { podInterfaceZone: "", state: "running" } }, { firewall: { state: "running" } }],
    ["drops empty items of an array", { ports: ["8132/tcp", "", "10250/tcp"] }, { ports: ["8132/tcp", "10250/tcp"] }],
    ["drops empty fields of objects inside arrays", { probes: [{ detail: "", result: "ok" }] }, { probes: [{ result: "ok" }] }],
    ["keeps everything else as it is", { n: 0, f: false, z: null, s: " ", a: [] }, { n: 0, f: false, z: null, s: " ", a: [] }],
    ["returns a bare empty string (nothing to drop it from)", "", ""],
    ["returns a scalar", 7, 7],
  ])("%s", (_name, input, expected) => {
    expect(withoutEmpty(input)).toEqual(expected);
  });

  it("never mutates its input", () => {
    const input = { a: "", b: ["", "x"], c: { d: "" } };
    withoutEmpty(input);
    expect(input).toEqual({ a: "", b: ["", "x"], c: { d: "" } });
  });
});
