/**
 * A drop-in for client-node's Watch (the transport of its ListWatch informer) with the bounds
 * client-node 1.4.0 lacks: its Watch has no timeout until the response headers arrive, and a watch
 * request still connecting cannot be aborted (the AbortController is handed out only after the
 * response). A connection that hangs — a TLS handshake into a half-dead peer, a proxy that never
 * answers — would then block its informer for good and make stop() wait forever.
 * Here every request gets a deadline for its response headers, TCP keep-alive on its socket, and
 * can be aborted at any time (`abortAll`). Same wire protocol: GET ?watch=true, one JSON event per line.
 */
import { request as httpRequest, STATUS_CODES } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { createInterface } from "node:readline";
import { Watch, type KubeConfig } from "@kubernetes/client-node";

type WatchCallback = (phase: string, apiObj: unknown, watchObj?: unknown) => void;

/** Watch with a response-header deadline and abortable in-flight requests. */
export class BoundedWatch extends Watch {
  private readonly inFlight = new Set<AbortController>();

  /**
   * @param responseTimeoutMs how long a watch request may wait for its response headers.
   * @param transform applied to every watched object before the callback (not to ERROR statuses).
   */
  constructor(private readonly kubeConfig: KubeConfig, private readonly responseTimeoutMs: number, private readonly transform?: (object: unknown) => unknown) {
    super(kubeConfig);
  }

  /** Aborts every watch request, connected or still connecting (each ends through its `done`). */
  abortAll(): void {
    for (const controller of this.inFlight) controller.abort();
  }

  /** Same contract as client-node's Watch.watch: `done` is called exactly once, with the error if any. */
  override async watch(path: string, queryParams: Record<string, string | number | boolean | undefined>, callback: WatchCallback, done: (err: unknown) => void): Promise<AbortController> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error("No currently active cluster");
    const url = new URL(cluster.server + path);
    url.searchParams.set("watch", "true");
    for (const [key, value] of Object.entries(queryParams)) if (value !== undefined) url.searchParams.set(key, String(value));
    const options: RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    const controller = new AbortController();
    this.inFlight.add(controller);
    let finished = false;
    const finish = (error: unknown) => {
      if (finished) return;
      finished = true;
      this.inFlight.delete(controller);
      controller.abort();
      done(error);
    };
    this.send(url, { ...options, method: "GET", signal: controller.signal }, callback, finish);
    return controller;
  }

  private send(url: URL, options: RequestOptions, callback: WatchCallback, finish: (error: unknown) => void): void {
    const request = (url.protocol === "http:" ? httpRequest : httpsRequest)(url, options, (response) => {
      clearTimeout(deadline);
      if (response.statusCode !== 200) {
        response.resume();
        const message = response.statusMessage || STATUS_CODES[response.statusCode ?? 500] || "Internal Server Error";
        return finish(Object.assign(new Error(message), { statusCode: response.statusCode }));
      }
      const lines = createInterface({ input: response });
      lines.on("error", finish); // readline re-emits the stream's errors (an abort): unhandled, they would crash the process
      lines.on("line", (line) => {
        let event: { type?: string; object?: unknown };
        try {
          event = JSON.parse(line) as { type?: string; object?: unknown };
        } catch {
          return; // a partial line of an interrupted stream: the stream's end follows
        }
        const object = this.transform && event.type !== "ERROR" ? this.transform(event.object) : event.object;
        callback(event.type ?? "", object, event);
      });
      response.on("error", finish);
      response.on("close", () => finish(response.complete ? null : Object.assign(new Error("watch stream closed early"), { code: "ECONNRESET" })));
    });
    const deadline = setTimeout(() => {
      request.destroy(Object.assign(new Error(`no response within ${this.responseTimeoutMs} ms`), { code: "ETIMEDOUT" }));
    }, this.responseTimeoutMs);
    deadline.unref();
    request.on("socket", (socket) => socket.setKeepAlive(true, 30_000));
    request.on("error", (error) => {
      clearTimeout(deadline);
      finish(error);
    });
    request.end();
  }
}
