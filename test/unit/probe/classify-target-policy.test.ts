// Pure parts of the probe: errno classification, dial targets, jobs, the allowlists and the rate.
import { describe, expect, it } from "@jest/globals";
import { classifyDialError, isDialResult } from "../../../src/dial/classify.js";
import { parseDialTarget } from "../../../src/dial/target.js";
import { parseDialJobs, MAX_DIAL_JOBS } from "../../../src/dial/dial.js";
import { defaultGatewayFromRouteTable, normalizeSourceAddress, parseCIDR, RateLimiter, SourceAllowlist, TargetPolicy } from "../../../src/probe/policy.js";
import { describeVersionReply } from "../../../src/dial/server-version.js";
import { parseDialResponse } from "../../../src/dial/ask-probe.js";
import { parseProbeArgs } from "../../../src/probe/main.js";

describe("classifyDialError", () => {
  const err = (code?: unknown, message = "connect EHOSTUNREACH 10.0.0.1:8132"): Error => Object.assign(new Error(message), { code });
  it.each([
    ["no route to host (firewalld reject)", err("EHOSTUNREACH"), "EHOSTUNREACH"],
    ["refused", err("ECONNREFUSED"), "ECONNREFUSED"],
    ["network unreachable", err("ENETUNREACH"), "ENETUNREACH"],
    ["kernel timeout", err("ETIMEDOUT"), "ETIMEDOUT"],
    ["reset", err("ECONNRESET"), "ECONNRESET"],
    ["DNS", err("EAI_AGAIN"), "EAI_AGAIN"],
    ["TLS error", err("ERR_SSL_WRONG_VERSION_NUMBER"), "ETLS"],
    ["no code", err(undefined), "EUNKNOWN"],
    ["a code that is not errno-like", err("bad code; rm"), "EUNKNOWN"],
    ["not an error at all", "oops", "EUNKNOWN"],
  ])("%s", (_name, error, expected) => {
    expect(classifyDialError(error)).toBe(expected);
  });
  it("result strings are ok or errno-like", () => {
    expect(["ok", "EHOSTUNREACH", "EPROBEUNAVAILABLE"].every(isDialResult)).toBe(true);
    expect(["OK", "eh", "E", "<b>", 5].some(isDialResult)).toBe(false);
  });
});

describe("parseDialTarget", () => {
  it.each([
    ["10.213.7.1:8132", { host: "10.213.7.1", port: 8132, text: "10.213.7.1:8132" }],
    ["[fd00::1]:6443", { host: "fd00::1", port: 6443, text: "[fd00::1]:6443" }],
    ["konnectivity.example.com:8132", { host: "konnectivity.example.com", port: 8132, text: "konnectivity.example.com:8132" }],
  ])("%s", (text, expected) => {
    expect(parseDialTarget(text)).toEqual(expected);
  });
  it.each(["10.0.0.1", "10.0.0.1:0", "10.0.0.1:70000", "http://10.0.0.1:80", "10.0.0.1:80/x", "a b:80", "fd00::1:6443", "[zz::1]:1", "x;id:80", "999.1.1.1:80", ""])("rejects %j", (text) => {
    expect(() => parseDialTarget(text)).toThrow(/invalid target/);
  });
});

describe("parseDialJobs", () => {
  it("checks kinds, targets and clamps timeouts", () => {
    const jobs = parseDialJobs(JSON.stringify([
      { kind: "tcp", target: "127.0.0.1:8132", timeoutMs: 999_999 },
      { kind: "probe", probe: "10.244.1.2:9090", target: "10.0.0.1:8132" },
      { kind: "version", target: "10.0.0.1:6443", timeoutMs: 500 },
    ]));
    expect(jobs.map((j) => [j.kind, j.target.text, j.timeoutMs, j.probe?.text])).toEqual([
      ["tcp", "127.0.0.1:8132", 10_000, undefined], ["probe", "10.0.0.1:8132", 3000, "10.244.1.2:9090"], ["version", "10.0.0.1:6443", 500, undefined],
    ]);
  });
  it.each([
    ["not an array", "{}"], ["unknown kind", '[{"kind":"exec","target":"a:1"}]'], ["bad target", '[{"kind":"tcp","target":"a; id"}]'],
    ["probe without endpoint", '[{"kind":"probe","target":"a:1"}]'], ["too many", JSON.stringify(Array(MAX_DIAL_JOBS + 1).fill({ kind: "tcp", target: "a:1" }))],
  ])("rejects %s", (_name, text) => {
    expect(() => parseDialJobs(text)).toThrow();
  });
});

describe("version reply classification (ConfiguredServer)", () => {
  it.each([
    ["etcd-only k3s server", 503, "apiserver disabled\n", "apiserver disabled (HTTP 503)"],
    ["apiserver, anonymous /version allowed", 200, '{"major":"1","minor":"28","gitVersion":"v1.28.15+k3s1"}', "serves the API (HTTP 200, v1.28.15+k3s1)"],
    ["apiserver, anonymous refused", 401, '{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}', "serves the API (HTTP 401, Status)"],
    ["something else", 200, "<html>hello</html>", "unexpected reply (HTTP 200)"],
  ])("%s", (_name, status, body, expected) => {
    expect(describeVersionReply(status, body)).toBe(expected);
  });
  it("the probe's own answers are validated", () => {
    expect(parseDialResponse('{"result":"EHOSTUNREACH","latencyMs":3}')).toEqual({ result: "EHOSTUNREACH", latencyMs: 3 });
    expect(parseDialResponse('{"result":"ok"}')).toBeUndefined();
    expect(parseDialResponse("not json")).toBeUndefined();
  });
});

describe("probe policy", () => {
  it("source allowlist: CIDRs, single hosts, IPv4-mapped addresses", () => {
    const allow = new SourceAllowlist(["10.244.7.1", "192.168.0.0/16", "fd00::/64"]);
    expect(["10.244.7.1", "::ffff:10.244.7.1", "192.168.3.4", "fd00::5"].every((a) => allow.allows(a))).toBe(true);
    expect(["10.244.7.2", "127.0.0.1", "fd01::1", "garbage", undefined].some((a) => allow.allows(a))).toBe(false);
    expect(normalizeSourceAddress("::ffff:1.2.3.4")).toBe("1.2.3.4");
  });
  it.each(["10.0.0.0/33", "10.0.0.0/8/1", "x/8", "10.0.0.0/-1", ""])("invalid CIDR %j", (text) => {
    expect(() => parseCIDR(text)).toThrow(/invalid CIDR/);
  });
  it("targets: any host on allowed ports, or exact host:port", () => {
    const policy = new TargetPolicy(new Set([8132, 6443]), new Set(["10.0.0.9:2379"]));
    expect(policy.allows(parseDialTarget("10.0.0.1:8132"))).toBe(true);
    expect(policy.allows(parseDialTarget("10.0.0.9:2379"))).toBe(true);
    expect(policy.allows(parseDialTarget("10.0.0.1:22"))).toBe(false);
  });
  it("rate limiter refills over time", () => {
    let now = 0;
    const rate = new RateLimiter(2, 2, () => now);
    expect([rate.tryTake(), rate.tryTake(), rate.tryTake()]).toEqual([true, true, false]);
    now = 500;
    expect([rate.tryTake(), rate.tryTake()]).toEqual([true, false]);
  });
  it("default gateway from /proc/net/route", () => {
    const table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      + "eth0\t00000000\t01F4070A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
      + "eth0\t00F4070A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
    expect(defaultGatewayFromRouteTable(table)).toBe("10.7.244.1");
    expect(defaultGatewayFromRouteTable("Iface\tDestination\n")).toBeUndefined();
  });
  it("probe flags: the default source is the pod's gateway; no gateway and no --allow refuses to start", () => {
    const table = "Iface\tDestination\tGateway\neth0\t00000000\t01F4070A\t0003\n";
    expect(parseProbeArgs(["--listen", "0.0.0.0:9090"], table)).toMatchObject({ host: "0.0.0.0", port: 9090, allow: ["10.7.244.1/32"], targetPorts: [8132, 6443, 9345, 443] });
    expect(parseProbeArgs(["--listen", "[::]:0", "--allow", "10.0.0.1/32,10.0.0.2", "--allow-target", "10.0.0.9:2379", "--target-ports", "8132"], undefined))
      .toMatchObject({ host: "::", port: 0, allow: ["10.0.0.1/32", "10.0.0.2"], allowTargets: ["10.0.0.9:2379"], targetPorts: [8132] });
    expect(() => parseProbeArgs(["--listen", "0.0.0.0:9090"], undefined)).toThrow(/no allowed source/);
    expect(parseProbeArgs(["--listen", "0.0.0.0:9090", "--allow", "192.168.1.42/32"], table).allow).toEqual(["192.168.1.42/32", "10.7.244.1/32"]);
    expect(() => parseProbeArgs(["--listen", "localhost:9090", "--allow", "1.1.1.1"], undefined)).toThrow(/IP:PORT/);
  });
});
