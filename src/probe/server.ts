/**
 * The probe pod's HTTP JSON API: `POST /dial {target, timeoutMs?}` (or `GET /dial?target=…`)
 * → `{result, latencyMs}` from the pod network; `GET /healthz` → `ok` for kubelet probes.
 * Refusals have distinct statuses: 403 source or target not allowed, 400 malformed, 413 body too
 * large, 429 rate exceeded, 503 too many dials in flight.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import { dialTcp } from "../dial/tcp-dial.js";
import { parseDialTarget, type DialTarget } from "../dial/target.js";
import type { RateLimiter, SourceAllowlist, TargetPolicy } from "./policy.js";

/** What the server enforces. */
export interface ProbeServerOptions {
  sources: SourceAllowlist;
  targets: TargetPolicy;
  rate: RateLimiter;
  maxConcurrent: number;
  logger: Logger;
  /** Dialer (injectable for tests of the policy); default dialTcp. */
  dial?: typeof dialTcp;
}

const MAX_BODY_BYTES = 1024;

class Refusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain" : "application/json", "cache-control": "no-store" });
  res.end(text);
}

/**
 * Reads a small body. Past the limit it keeps draining (without storing) instead of destroying the
 * stream, so the 413 answer still reaches the client.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    let tooLarge = false;
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      if (!tooLarge && text.length + chunk.length > MAX_BODY_BYTES) tooLarge = true;
      if (!tooLarge) text += chunk;
    });
    req.once("end", () => (tooLarge ? reject(new Refusal(413, "body too large")) : resolve(text)));
    req.once("error", () => reject(new Refusal(400, "request aborted")));
  });
}

async function dialRequest(req: IncomingMessage, url: URL): Promise<{ target: DialTarget; timeoutMs?: number }> {
  let raw: { target?: unknown; timeoutMs?: unknown };
  if (req.method === "POST") {
    try {
      raw = JSON.parse(await readBody(req)) as typeof raw;
    } catch (error) {
      throw error instanceof Refusal ? error : new Refusal(400, "body must be JSON");
    }
  } else {
    raw = { target: url.searchParams.get("target") ?? undefined, timeoutMs: url.searchParams.has("timeoutMs") ? Number(url.searchParams.get("timeoutMs")) : undefined };
  }
  if (typeof raw?.target !== "string") throw new Refusal(400, "target (host:port) is required");
  let target: DialTarget;
  try {
    target = parseDialTarget(raw.target);
  } catch {
    throw new Refusal(400, "target must be host:port");
  }
  return { target, timeoutMs: typeof raw.timeoutMs === "number" ? raw.timeoutMs : undefined };
}

/** Creates (does not start) the probe server. */
export function createProbeServer(options: ProbeServerOptions): Server {
  const dial = options.dial ?? dialTcp;
  let inFlight = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://probe");
    if (url.pathname === "/healthz" && req.method === "GET") return send(res, 200, "ok");
    if (url.pathname !== "/dial" || (req.method !== "POST" && req.method !== "GET")) throw new Refusal(404, "not found");
    if (!options.sources.allows(req.socket?.remoteAddress)) throw new Refusal(403, "source not allowed");
    if (!options.rate.tryTake()) throw new Refusal(429, "rate limit exceeded");
    const { target, timeoutMs } = await dialRequest(req, url);
    if (!options.targets.allows(target)) throw new Refusal(403, "target not allowed");
    if (inFlight >= options.maxConcurrent) throw new Refusal(503, "too many dials in flight");
    inFlight += 1;
    try {
      const outcome = await dial(target, timeoutMs ?? 3000);
      options.logger.debug({ target: target.text, result: outcome.result, latencyMs: outcome.latencyMs }, "dialed");
      send(res, 200, { result: outcome.result, latencyMs: outcome.latencyMs });
    } finally {
      inFlight -= 1;
    }
  };
  const server = createServer((req, res) => {
    const source = req.socket.remoteAddress;
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof Refusal ? error.status : 500;
      const reason = error instanceof Refusal ? error.message : "internal error";
      options.logger.warn({ source, path: req.url?.slice(0, 200), status, reason }, "request refused");
      if (!res.headersSent) send(res, status, { error: reason });
    });
  });
  server.headersTimeout = 5000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 1000;
  server.maxHeadersCount = 32;
  return server;
}
