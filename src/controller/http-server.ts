/**
 * /metrics, /healthz and /readyz on node:http. /healthz says the process serves (liveness: a
 * follower is healthy too); /readyz says every cache completed its initial list.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What the endpoints report: `scrape` renders the metrics in `contentType`. */
export interface HealthHandlers {
  metrics: { scrape: () => Promise<string>; contentType: string };
  ready: () => boolean;
}

/** A listening server and the port it got (useful with port 0). */
export interface HealthServer {
  port: number;
  close: () => Promise<void>;
}

/** Listens on host:port (host undefined = every interface). */
export async function startHealthServer(listen: { host?: string; port: number }, handlers: HealthHandlers): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405).end();
    } else if (path === "/healthz") {
      response.writeHead(200, { "Content-Type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const ready = handlers.ready();
      response.writeHead(ready ? 200 : 503, { "Content-Type": "text/plain" }).end(ready ? "ok\n" : "caches not synced\n");
    } else if (path === "/metrics") {
      handlers.metrics.scrape().then(
        (text) => response.writeHead(200, { "Content-Type": handlers.metrics.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
