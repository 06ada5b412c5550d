import { describe, expect, it } from "@jest/globals";
import { defaultIdentity, parseControllerFlags, parseListen } from "../../../../src/controller/config/flags.js";
import { UsageError } from "../../../../src/core/flags.js";

describe("parseControllerFlags", () => {
  it("has the documented defaults", () => {
    const flags = parseControllerFlags([]);
    expect(flags).toMatchObject({
      kubeconfig: undefined, namespace: "netmedic", configPath: undefined, listen: { host: undefined, port: 8080 },
      leaseName: "netmedic-controller", leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2, logLevel: "info",
    });
    expect(flags.identity).toMatch(/^.+_\d+_[0-9a-f]{6}$/);
  });

  it("reads every flag, in both --flag=value and --flag value forms", () => {
    const flags = parseControllerFlags([
      "--kubeconfig", "/tmp/kc", "--namespace=ops", "--config", "/etc/netmedic/config.yaml", "--listen=127.0.0.1:0", "--identity", "me",
      "--lease-name=lead", "--lease-duration", "6s", "--renew-deadline=4s", "--retry-period", "500ms", "--log-level=debug",
    ]);
    expect(flags).toEqual({
      kubeconfig: "/tmp/kc", namespace: "ops", configPath: "/etc/netmedic/config.yaml", listen: { host: "127.0.0.1", port: 0 }, identity: "me",
      leaseName: "lead", leaseDurationSeconds: 6, renewDeadlineSeconds: 4, retryPeriodSeconds: 0.5, logLevel: "debug",
    });
  });

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["extra"], /Unexpected argument 'extra'/],
    [["--listen", "8080"], /--listen: expected \[HOST\]:PORT such as :8080 \(got "8080"\)/],
    [["--lease-duration", "soon"], /--lease-duration: expected a duration such as 10s, 1m30s or 500ms \(got "soon"\)/],
    [["--lease-duration", "15"], /--lease-duration: expected a duration such as 10s, 1m30s or 500ms \(got "15"\)/],
    [["--renew-deadline", "20s"], /--retry-period < --renew-deadline < --lease-duration/],
    [["--namespace", "Net_Medic"], /--namespace: expected a namespace name .* \(got "Net_Medic"\)/],
    [["--log-level", "loud"], /--log-level: expected one of .* \(got "loud"\)/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseControllerFlags(argv)).toThrow(message);
  });

  it("rejects bad values with a UsageError", () => {
    expect(() => parseControllerFlags(["--listen", "x"])).toThrow(UsageError);
  });
});

describe("parseListen", () => {
  it.each([
    [":8080", { host: undefined, port: 8080 }],
    ["0.0.0.0:9464", { host: "0.0.0.0", port: 9464 }],
    ["[::1]:0", { host: "::1", port: 0 }],
  ])("%s", (value, expected) => {
    expect(parseListen(value)).toEqual(expected);
  });

  it("rejects a port out of range", () => {
    expect(() => parseListen(":70000")).toThrow(UsageError);
  });
});

describe("defaultIdentity", () => {
  it("is unique per process start even on one host with the same pid (hostNetwork pods in their own PID namespaces)", () => {
    expect(defaultIdentity()).not.toBe(defaultIdentity());
  });

  it("prefers the pod name over the hostname", () => {
    const saved = process.env["POD_NAME"];
    process.env["POD_NAME"] = "netmedic-controller-abc12";
    try {
      expect(defaultIdentity()).toMatch(/^netmedic-controller-abc12_\d+_[0-9a-f]{6}$/);
    } finally {
      if (saved === undefined) delete process.env["POD_NAME"];
      else process.env["POD_NAME"] = saved;
    }
  });
});
