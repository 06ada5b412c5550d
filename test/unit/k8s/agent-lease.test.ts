// The agent's Lease client against a local HTTP stand-in of the Lease API (the real-apiserver proof
// under deploy/'s RBAC is test/integration/agent-lease.test.ts): one PUT per renewal at steady state,
// GET then POST the first time, 409 re-read and retried once, 403/404 surfacing with their code.
// And the light client's sockets — plain and TLS, requests and watches — carry TCP keepalive.
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { Socket, type AddressInfo } from "node:net";
import { AGENT_LEASE_LABELS, AGENT_LEASE_NAMESPACE } from "../../../src/api/index.js";
import { AgentLeaseClient, microTime, type AgentLease } from "../../../src/k8s/light/agent-lease.js";
import { RestClient, TCP_KEEPALIVE_MS } from "../../../src/k8s/light/rest-client.js";
import { selfSignedCert } from "../../../src/controller/admission/serving-cert.js";

const PATH = `/apis/coordination.k8s.io/v1/namespaces/${AGENT_LEASE_NAMESPACE}/leases`;

/** An in-memory Lease collection with resourceVersion checks, and knobs for the failure modes. */
class FakeLeases {
  readonly leases = new Map<string, AgentLease>();
  readonly log: string[] = [];
  version = 1;
  /** Answer every request with this status (403: no RBAC, 404: no namespace). */
  failWith: number | undefined;
  /** Bump this Lease's resourceVersion before the next PUT lands (another writer). */
  interfere = false;

  handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const name = decodeURIComponent((req.url ?? "").slice(PATH.length + 1));
    this.log.push(`${req.method} ${name}`);
    const send = (code: number, object: unknown): void => void res.writeHead(code, { "Content-Type": "application/json" }).end(JSON.stringify(object));
    const status = (code: number): void => send(code, { kind: "Status", code, message: `status ${code}` });
    if (this.failWith) return status(this.failWith);
    const existing = this.leases.get(name);
    if (req.method === "GET") return existing ? send(200, existing) : status(404);
    const lease = JSON.parse(body) as AgentLease;
    if (req.method === "POST") {
      if (this.leases.has(lease.metadata.name)) return status(409);
      return send(201, this.store(lease));
    }
    if (!existing) return status(404);
    const current = this.interfere ? this.store(existing) : existing;
    this.interfere = false;
    if (lease.metadata.resourceVersion !== current.metadata.resourceVersion) return status(409);
    send(200, this.store(lease));
  }

  private store(lease: AgentLease): AgentLease {
    const stored = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.version), managedFields: [{ manager: "x" }] } };
    this.leases.set(lease.metadata.name, stored);
    return stored;
  }
}

function serve(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => handler(req, body, res));
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

describe("AgentLeaseClient", () => {
  let server: Server;
  let rest: RestClient;
  let fake: FakeLeases;
  beforeAll(async () => {
    server = createServer(serve((req, body, res) => fake.handle(req, body, res)));
    const port = await listen(server);
    rest = new RestClient({ server: `http://127.0.0.1:${port}`, tls: { rejectUnauthorized: true }, describe: "test" });
  });
  afterAll(async () => {
    rest.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const at = (s: number): Date => new Date(Date.UTC(2026, 11, 4, 17, 0, s));

  it("creates the Lease the first time (GET 404, POST) and renews it with one PUT each time after", async () => {
    fake = new FakeLeases();
    const client = new AgentLeaseClient(rest);
    await client.renew("worker-1", 750, at(0));
    await client.renew("worker-1", 750, at(1));
    await client.renew("worker-1", 750, at(2));
    expect(fake.log).toEqual(["GET worker-1", "POST ", "PUT worker-1", "PUT worker-1"]);
    const lease = fake.leases.get("worker-1");
    expect(lease?.metadata).toMatchObject({ name: "worker-1", namespace: AGENT_LEASE_NAMESPACE, labels: AGENT_LEASE_LABELS });
    expect(lease?.spec).toEqual({ holderIdentity: "worker-1", leaseDurationSeconds: 750, renewTime: "2026-12-04T17:00:02.000000Z" });
  });

  it("adopts an existing Lease (GET, then PUT at its resourceVersion), keeping fields it does not own", async () => {
    fake = new FakeLeases();
    fake.leases.set("worker-2", { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "worker-2", namespace: AGENT_LEASE_NAMESPACE, resourceVersion: "7", annotations: { a: "b" } }, spec: { holderIdentity: "worker-2", acquireTime: "x" } });
    await new AgentLeaseClient(rest).renew("worker-2", 30, at(5));
    expect(fake.log).toEqual(["GET worker-2", "PUT worker-2"]);
    expect(fake.leases.get("worker-2")).toMatchObject({ metadata: { annotations: { a: "b" } }, spec: { acquireTime: "x", renewTime: "2026-12-04T17:00:05.000000Z" } });
  });

  it("a 409 re-reads the Lease and retries once", async () => {
    fake = new FakeLeases();
    const client = new AgentLeaseClient(rest);
    await client.renew("worker-3", 30, at(0));
    fake.interfere = true;
    await client.renew("worker-3", 30, at(1));
    expect(fake.log).toEqual(["GET worker-3", "POST ", "PUT worker-3", "GET worker-3", "PUT worker-3"]);
    expect(fake.leases.get("worker-3")?.spec.renewTime).toBe("2026-12-04T17:00:01.000000Z");
  });

  it("a Lease deleted under it is created again in the same renewal", async () => {
    fake = new FakeLeases();
    const client = new AgentLeaseClient(rest);
    await client.renew("worker-4", 30, at(0));
    fake.leases.clear();
    await client.renew("worker-4", 30, at(1));
    expect(fake.log).toEqual(["GET worker-4", "POST ", "PUT worker-4", "GET worker-4", "POST "]);
  });

  it.each([[403], [404]])("HTTP %i (no RBAC / no namespace) rejects with that code, and the next renewal starts over", async (code) => {
    fake = new FakeLeases();
    fake.failWith = code;
    const client = new AgentLeaseClient(rest);
    await expect(client.renew("worker-5", 30, at(0))).rejects.toMatchObject({ code });
    fake.failWith = undefined;
    await client.renew("worker-5", 30, at(1));
    // Without the namespace the GET's 404 reads as "no Lease yet": the create is what fails.
    expect(fake.log).toEqual(code === 404 ? ["GET worker-5", "POST ", "GET worker-5", "POST "] : ["GET worker-5", "GET worker-5", "POST "]);
  });

  it.each([
    [new Date(Date.UTC(2026, 11, 4, 17, 0, 0, 0)), "2026-12-04T17:00:00.000000Z"],
    [new Date(Date.UTC(2026, 11, 4, 17, 0, 0, 123)), "2026-12-04T17:00:00.123000Z"],
  ])("MicroTime of %s is %s", (date, expected) => {
    expect(microTime(date)).toBe(expected);
  });
});

describe("RestClient sockets", () => {
  const spy = jest.spyOn(Socket.prototype, "setKeepAlive");
  afterEach(() => void spy.mockClear());
  afterAll(() => void spy.mockRestore());

  /** The keepalive settings applied so far to the client socket at the other end of `server`'s `req`. */
  const keepAliveOf = (req: IncomingMessage): unknown[][] => spy.mock.calls.filter((_args, i) => (spy.mock.contexts[i] as Socket).localPort === req.socket.remotePort);

  it.each([["http"], ["https"]])("%s requests and watches connect with TCP keepalive (30 s), set before the request is sent", async (scheme) => {
    const cert = selfSignedCert({ commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], notBefore: new Date(Date.now() - 60_000), validDays: 1 });
    const seen: unknown[][][] = [];
    const handler = serve((req, _body, res) => {
      // Checked while the request is in flight: Node's agent sets its own keepalive only on idle pooled sockets.
      seen.push(keepAliveOf(req));
      if (req.url?.startsWith("/watch")) return void res.writeHead(200).end('{"type":"BOOKMARK"}\n');
      res.writeHead(200, { "Content-Type": "application/json", Connection: "close" }).end("{}");
    });
    const server = scheme === "https" ? createTlsServer({ cert: cert.certPem, key: cert.keyPem }, handler) : createServer(handler);
    const port = await listen(server as Server);
    const rest = new RestClient({ server: `${scheme}://127.0.0.1:${port}`, tls: { rejectUnauthorized: true, ca: cert.certPem }, describe: "test" });
    try {
      await rest.request({ method: "GET", path: "/ok" });
      await rest.stream({ path: "/watch", onLine: () => undefined, signal: new AbortController().signal, idleTimeoutMs: 5000 });
      expect(seen).toEqual([[[true, TCP_KEEPALIVE_MS]], [[true, TCP_KEEPALIVE_MS]]]);
    } finally {
      rest.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
