/**
 * A minimal JSON-over-HTTPS client for the Kubernetes API on node:https, for the agent (see
 * rest-credentials.ts for why not client-node). One keep-alive connection is reused across rounds
 * so a report costs no TLS handshake. Errors carry the HTTP status as a numeric `code`, the shape
 * controller/runtime/api-errors.ts classifies (403 terminal, 5xx/429 transient, …). The bearer token is
 * sent only in the Authorization header and never appears in an error message.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import { createInterface } from "node:readline";
import type { RestCredentials } from "./rest-credentials.js";

/** The parts of a Kubernetes Status object an error keeps. */
export interface KubeStatus {
  message?: string;
  reason?: string;
  code?: number;
}

/** An answer outside 2xx: `code` is the HTTP status, `status` the server's Status object if any. */
export class ApiRequestError extends Error {
  constructor(readonly code: number, readonly status: KubeStatus | undefined, message: string) {
    super(message);
    this.name = "ApiRequestError";
  }
}

/** Whether `error` is an API answer (ApiRequestError) with HTTP status `code`. */
export function hasCode(error: unknown, code: number): boolean {
  return error instanceof ApiRequestError && error.code === code;
}

/** One request: `path` is absolute (with its query), `body` is sent as JSON. */
export interface RestRequest {
  method: "GET" | "PATCH" | "PUT" | "POST";
  path: string;
  body?: unknown;
  contentType?: string;
}

/** A long-lived GET (a watch): every line of its body goes to `onLine`. */
export interface StreamRequest {
  path: string;
  onLine: (line: string) => void;
  /** Ends the stream without error. */
  signal: AbortSignal;
  /** A stream silent this long (no headers, no bytes) is dead: it fails with code ETIMEDOUT. */
  idleTimeoutMs: number;
}

/** Client settings. */
export interface RestClientOptions {
  /** Deadline of one request, connection included (default 30 s). */
  timeoutMs?: number;
  userAgent?: string;
}

/** Idle time before the kernel's first keepalive probe (Go's net.Dialer default). */
export const TCP_KEEPALIVE_MS = 30_000;

interface RawResponse {
  statusCode: number;
  text: string;
}

/** Sends requests to one apiserver with one set of credentials. */
export class RestClient {
  private readonly agent: HttpAgent;
  private readonly timeoutMs: number;
  private readonly userAgent: string;

  constructor(private readonly credentials: RestCredentials, options: RestClientOptions = {}) {
    const secure = credentials.server.startsWith("https:");
    // keepAliveMsecs: the probe delay Node's agent sets on a pooled idle socket (default 1 s).
    const pool = { keepAlive: true, keepAliveMsecs: TCP_KEEPALIVE_MS, maxFreeSockets: 1 };
    this.agent = withTcpKeepAlive(secure ? new HttpsAgent({ ...pool, ...credentials.tls }) : new HttpAgent(pool));
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? "netmedic";
  }

  /**
   * Sends `request` and resolves to the parsed JSON body of a 2xx answer. Rejects with
   * ApiRequestError otherwise; after a 401 the token is re-read once and, if it changed (rotated),
   * the request is repeated. Network errors and timeouts reject with the Node error (string `code`).
   */
  async request<T>(request: RestRequest): Promise<T> {
    let response = await this.send(request);
    if (response.statusCode === 401 && this.tokenRotated()) response = await this.send(request);
    if (response.statusCode < 200 || response.statusCode > 299) throw apiError(request, response);
    try {
      return JSON.parse(response.text) as T;
    } catch {
      throw new Error(`${request.method} ${request.path}: the apiserver answered ${response.statusCode} with a body that is not JSON`);
    }
  }

  /**
   * Opens `request.path` and feeds its body line by line to `onLine`. Resolves when the server ends
   * the body or `signal` aborts; rejects with ApiRequestError for a non-2xx answer (after a 401 the
   * token is re-read, so the caller's retry uses a rotated one), with ECONNRESET when the body is
   * cut, and with ETIMEDOUT when nothing arrived for `idleTimeoutMs` (a half-open connection).
   */
  stream(request: StreamRequest): Promise<void> {
    if (request.signal.aborted) return Promise.resolve();
    const get: RestRequest = { method: "GET", path: request.path };
    return new Promise((resolve, reject) => {
      const req = this.open(get, undefined, (res) => {
        if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) {
          if (res.statusCode === 401) this.tokenRotated();
          return void collect(res).then((raw) => reject(apiError(get, raw)), reject);
        }
        createInterface({ input: res }).on("line", request.onLine).on("error", () => undefined);
        res.on("data", idle.refresh);
        res.once("close", () => (res.complete || request.signal.aborted ? resolve() : reject(Object.assign(new Error(`GET ${request.path}: stream cut`), { code: "ECONNRESET" }))));
      });
      const idle = { timer: setTimeout(() => req.destroy(timeoutError(get, request.idleTimeoutMs)), request.idleTimeoutMs), refresh: () => idle.timer.refresh() };
      const abort = (): void => void req.destroy();
      request.signal.addEventListener("abort", abort, { once: true });
      req.once("close", () => {
        clearTimeout(idle.timer);
        request.signal.removeEventListener("abort", abort);
        if (request.signal.aborted) resolve();
      });
      req.once("error", (error) => (request.signal.aborted ? resolve() : reject(error)));
      req.end();
    });
  }

  /** Closes idle connections (the process can then exit without waiting for keep-alive). */
  close(): void {
    this.agent.destroy();
  }

  private tokenRotated(): boolean {
    try {
      return this.credentials.token?.refresh() ?? false;
    } catch {
      return false;
    }
  }

  private open(request: RestRequest, body: string | undefined, onResponse: (res: IncomingMessage) => void): ClientRequest {
    const url = new URL(this.credentials.server + request.path);
    const headers: Record<string, string> = { Accept: "application/json", "User-Agent": this.userAgent };
    const token = this.credentials.token?.current();
    if (token) headers["Authorization"] = `Bearer ${token}`;
    if (body !== undefined) Object.assign(headers, { "Content-Type": request.contentType ?? "application/json", "Content-Length": String(Buffer.byteLength(body)) });
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return send(url, { method: request.method, headers, agent: this.agent }, onResponse);
  }

  private send(request: RestRequest): Promise<RawResponse> {
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    return new Promise((resolve, reject) => {
      const req = this.open(request, body, (res) => collect(res).then(resolve, reject));
      const timer = setTimeout(() => req.destroy(timeoutError(request, this.timeoutMs)), this.timeoutMs);
      req.once("close", () => clearTimeout(timer));
      req.once("error", reject);
      req.end(body);
    });
  }
}

/**
 * TCP keepalive on every connection `agent` opens, as Go's dialer sets (30 s): the agent's watch of
 * an object that now changes only when a report's content does is quiet for hours, a NAT or load
 * balancer drops idle state long before that, and the probes let the kernel find a vanished peer.
 */
function withTcpKeepAlive<A extends HttpAgent>(agent: A): A {
  const connect = agent.createConnection.bind(agent) as (...args: unknown[]) => Socket | undefined;
  Object.assign(agent, { createConnection: (...args: unknown[]) => connect(...args)?.setKeepAlive(true, TCP_KEEPALIVE_MS) });
  return agent;
}

function collect(res: IncomingMessage): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.once("error", reject);
    res.once("end", () => resolve({ statusCode: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
  });
}

function timeoutError(request: RestRequest, timeoutMs: number): Error {
  return Object.assign(new Error(`${request.method} ${request.path}: no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" });
}

function apiError(request: RestRequest, response: RawResponse): ApiRequestError {
  let status: KubeStatus | undefined;
  try {
    const parsed = JSON.parse(response.text) as KubeStatus & { kind?: string };
    if (parsed?.kind === "Status") status = { message: parsed.message, reason: parsed.reason, code: parsed.code };
  } catch {
    // Not a Status (a proxy's HTML page…): the HTTP status alone says enough.
  }
  const detail = status?.message ?? `${request.method} ${request.path}`;
  return new ApiRequestError(response.statusCode, status, `HTTP ${response.statusCode}: ${detail}`);
}
