// The one flag convention of every entry point: Go-style durations, integer counts, and one
// UsageError whose message names the flag, the bad value and the expected form.
import { describe, expect, it } from "@jest/globals";
import { asUsageError, checkedFlag, durationFlag, integerFlag, invalidFlag, logLevelFlag, parseDuration, UsageError } from "../../../src/core/flags.js";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["10s", 10_000],
    ["15s", 15_000],
    ["2m", 120_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1h2m3s4ms", 3_723_004],
    ["1.5s", 1500],
    ["0.5s", 500],
    ["1.5h", 5_400_000],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration("interval", text)).toBe(ms);
  });

  it.each([
    ["15", /--lease-duration: expected a duration such as 10s, 1m30s or 500ms \(got "15"\)/],
    ["", /got ""/],
    ["soon", /got "soon"/],
    ["-5s", /got "-5s"/],
    ["5 s", /got "5 s"/],
    ["5sec", /got "5sec"/],
    ["1d", /got "1d"/],
    ["s", /got "s"/],
    [".5s", /got ".5s"/],
    ["0s", /--lease-duration: expected a duration of at least 1ms \(got "0s"\)/],
  ])("refuses %j", (text, message) => {
    expect(() => parseDuration("lease-duration", text)).toThrow(message);
    expect(() => parseDuration("lease-duration", text)).toThrow(UsageError);
  });

  it.each([
    ["50ms", { minMs: 100 }, /--x: expected a duration of at least 100ms \(got "50ms"\)/],
    ["11s", { maxMs: 10_000 }, /--x: expected a duration of at most 10s \(got "11s"\)/],
  ])("keeps %s within %j", (text, bounds, message) => {
    expect(() => parseDuration("x", text, bounds)).toThrow(message);
  });

  it("takes the fallback, written as a user would, when the flag is absent", () => {
    expect(durationFlag("retry-period", undefined, "2s")).toBe(2000);
    expect(durationFlag("retry-period", "500ms", "2s")).toBe(500);
  });
});

describe("integerFlag", () => {
  it.each([
    [undefined, 4],
    ["1", 1],
    ["10000", 10_000],
  ])("%j is %d", (text, value) => {
    expect(integerFlag("max-concurrent", text, 4, { min: 1, max: 10_000 })).toBe(value);
  });

  it.each(["0", "10001", "-1", "1.5", "4x", "", " 4", "1e3"])("refuses %j", (text) => {
    expect(() => integerFlag("max-concurrent", text, 4, { min: 1, max: 10_000 })).toThrow(
      new UsageError(`--max-concurrent: expected an integer from 1 to 10000 (got "${text}")`),
    );
  });
});

describe("the other flag helpers", () => {
  it("logLevelFlag accepts pino's levels only, info by default", () => {
    expect(logLevelFlag(undefined)).toBe("info");
    expect(logLevelFlag("trace")).toBe("trace");
    expect(() => logLevelFlag("verbose")).toThrow(/--log-level: expected one of fatal, error, warn, info, debug, trace, silent \(got "verbose"\)/);
  });

  it("checkedFlag turns a validator's refusal into a UsageError with the expected form", () => {
    const port = (v: string): number => {
      if (!/^\d+$/.test(v)) throw new Error("not a port");
      return Number(v);
    };
    expect(checkedFlag("port", undefined, "a port", port)).toBeUndefined();
    expect(checkedFlag("port", "80", "a port", port)).toBe(80);
    expect(() => checkedFlag("port", "http", "a port", port)).toThrow(new UsageError('--port: expected a port (got "http")'));
  });

  it("asUsageError recognises UsageErrors and parseArgs' refusals, nothing else", () => {
    const own = invalidFlag("listen", "x", "IP:PORT");
    expect(asUsageError(own)).toBe(own);
    const parseArgsError = Object.assign(new TypeError("Unknown option '--bogus'"), { code: "ERR_PARSE_ARGS_UNKNOWN_OPTION" });
    expect(asUsageError(parseArgsError)).toEqual(new UsageError("Unknown option '--bogus'"));
    expect(asUsageError(new Error("ECONNREFUSED"))).toBeUndefined();
    expect(asUsageError(undefined)).toBeUndefined();
    expect(asUsageError(null)).toBeUndefined();
  });
});
