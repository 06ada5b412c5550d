// The probe server, the agent's probe client, the TLS version probe and the `dial` subcommand on
// real sockets — loopback only (docs/architecture.md §8.5).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:https";
import { Writable } from "node:stream";
import { pino } from "pino";
import { startProbe, type RunningProbe } from "../../../src/probe/main.js";
import { askProbe } from "../../../src/dial/ask-probe.js";
import { parseDialTarget } from "../../../src/dial/target.js";
import { probeServerVersion } from "../../../src/dial/server-version.js";
import { runDial } from "../../../src/dial/dial.js";
import { dialTcp } from "../../../src/dial/tcp-dial.js";
import { TEST_TLS_CERT, TEST_TLS_KEY } from "./tls-fixture.js";

const lines: string[] = [];
const logger = pino({ level: "debug" }, new Writable({ write: (chunk, _e, cb) => void (lines.push(String(chunk)), cb()) }));

function listen<S extends TcpServer | TlsServer>(server: S): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

/** A port on loopback that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  await new Promise((r) => server.close(r));
  return port;
}

describe("probe server on loopback", () => {
  let listener: TcpServer;
  let listenerPort: number;
  let refusedPort: number;
  let probe: RunningProbe;
  let strict: RunningProbe;
  const post = (p: RunningProbe, body: unknown): Promise<Response> =>
    fetch(`http://127.0.0.1:${p.address.port}/dial`, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });

  beforeAll(async () => {
    listener = createTcpServer((s) => s.destroy());
    listenerPort = await listen(listener);
    refusedPort = await closedPort();
    const base = { host: "127.0.0.1", port: 0, allowTargets: [], maxConcurrent: 2, ratePerSecond: 50 };
    probe = await startProbe({ ...base, allow: ["127.0.0.1/32"], targetPorts: [listenerPort, refusedPort] }, logger);
    strict = await startProbe({ ...base, allow: ["10.9.9.9/32"], targetPorts: [listenerPort], ratePerSecond: 1 }, logger);
  });
  afterAll(async () => {
    await probe.close();
    await strict.close();
    await new Promise((r) => listener.close(r));
  });

  it("dials an allowed target: ok and ECONNREFUSED from the real kernel", async () => {
    const ok = await post(probe, { target: `127.0.0.1:${listenerPort}` });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ result: "ok", latencyMs: expect.any(Number) });
    const refused = await fetch(`http://127.0.0.1:${probe.address.port}/dial?target=127.0.0.1:${refusedPort}`);
    expect(await refused.json()).toMatchObject({ result: "ECONNREFUSED" });
  });

  it.each([
    ["a port outside the allowlist", { target: "127.0.0.1:22" }, 403],
    ["malformed JSON", "{", 400],
    ["no target", {}, 400],
    ["a URL instead of host:port", { target: "http://127.0.0.1:80/" }, 400],
    ["a body over 1 KiB", { target: "x".repeat(2000) }, 413],
  ])("refuses %s", async (_name, body, status) => {
    expect((await post(probe, body)).status).toBe(status);
  });

  it("answers only allowed sources; /healthz is open", async () => {
    expect((await post(strict, { target: `127.0.0.1:${listenerPort}` })).status).toBe(403);
    expect(await (await fetch(`http://127.0.0.1:${strict.address.port}/healthz`)).text()).toBe("ok");
    expect(lines.some((l) => l.includes('"msg":"request refused"') && l.includes('"reason":"source not allowed"'))).toBe(true);
  });

  it("rate-limits", async () => {
    const limited = await startProbe({ host: "127.0.0.1", port: 0, allow: ["127.0.0.1/32"], allowTargets: [], targetPorts: [listenerPort], maxConcurrent: 2, ratePerSecond: 1 }, logger);
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await post(limited, { target: `127.0.0.1:${listenerPort}` })).status);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    } finally {
      await limited.close();
    }
  });

  it("askProbe returns the pod-side outcome, or EPROBEUNAVAILABLE when the probe cannot be asked", async () => {
    const endpoint = parseDialTarget(`127.0.0.1:${probe.address.port}`);
    expect((await askProbe(endpoint, parseDialTarget(`127.0.0.1:${refusedPort}`), 1000)).result).toBe("ECONNREFUSED");
    const forbidden = await askProbe(endpoint, parseDialTarget("127.0.0.1:22"), 1000);
    expect(forbidden).toMatchObject({ result: "EPROBEUNAVAILABLE", detail: "probe answered HTTP 403" });
    const gone = await askProbe(parseDialTarget(`127.0.0.1:${refusedPort}`), parseDialTarget(`127.0.0.1:${listenerPort}`), 1000);
    expect(gone).toMatchObject({ result: "EPROBEUNAVAILABLE", detail: "probe unreachable: ECONNREFUSED" });
  });
});

describe("TLS /version probe and the dial subcommand", () => {
  let disabled: TlsServer;
  let apiserver: TlsServer;
  const ports: Record<string, number> = {};
  beforeAll(async () => {
    const tls = { key: TEST_TLS_KEY, cert: TEST_TLS_CERT };
    disabled = createTlsServer(tls, (_q, res) => void res.writeHead(503).end("apiserver disabled\n"));
    apiserver = createTlsServer(tls, (_q, res) => void res.writeHead(200, { "content-type": "application/json" }).end('{"gitVersion":"v1.20.2"}'));
    ports.disabled = await listen(disabled);
    ports.apiserver = await listen(apiserver);
  });
  afterAll(async () => {
    await new Promise((r) => disabled.close(r));
    await new Promise((r) => apiserver.close(r));
  });

  it("tells an etcd-only server from an apiserver", async () => {
    expect(await probeServerVersion(parseDialTarget(`127.0.0.1:${ports.disabled}`), 2000)).toMatchObject({ result: "ok", detail: "apiserver disabled (HTTP 503)" });
    expect(await probeServerVersion(parseDialTarget(`127.0.0.1:${ports.apiserver}`), 2000)).toMatchObject({ result: "ok", detail: "serves the API (HTTP 200, v1.20.2)" });
    expect((await probeServerVersion(parseDialTarget(`127.0.0.1:${await closedPort()}`), 2000)).result).toBe("ECONNREFUSED");
  });

  it("a plain-TCP peer that never answers TLS times out, bounded", async () => {
    const silent = createTcpServer(() => undefined);
    const port = await listen(silent);
    try {
      const outcome = await probeServerVersion(parseDialTarget(`127.0.0.1:${port}`), 300);
      expect(outcome.result).toBe("ETIMEDOUT");
      expect(outcome.latencyMs).toBeLessThan(2000);
    } finally {
      silent.close();
    }
  });

  it("runDial prints one JSON array in job order", async () => {
    let out = "";
    const jobs = [{ kind: "version", target: `127.0.0.1:${ports.disabled}` }, { kind: "tcp", target: `127.0.0.1:${ports.apiserver}`, timeoutMs: 1000 }];
    expect(await runDial(["--jobs", JSON.stringify(jobs)], (t) => void (out += t))).toBe(0);
    expect(JSON.parse(out)).toEqual([
      { result: "ok", latencyMs: expect.any(Number), detail: "apiserver disabled (HTTP 503)" },
      { result: "ok", latencyMs: expect.any(Number) },
    ]);
    expect(await runDial(["--jobs", '[{"kind":"exec"}]'], () => undefined)).toBe(2);
  });

  it("dialTcp is bounded by its timeout", async () => {
    expect((await dialTcp(parseDialTarget(`127.0.0.1:${ports.apiserver}`), 1000)).result).toBe("ok");
  });
});
