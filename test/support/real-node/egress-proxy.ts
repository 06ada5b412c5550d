/**
 * The apiserver's way to the kubelets (logs, exec): an HTTP CONNECT proxy on a UNIX socket, named by
 * the apiserver's egress selector (as konnectivity is in k0s). The kubelets listen in lab network
 * namespaces this machine cannot route to, so each tunnel is a socat started in the control host of
 * the lab whose node network holds the target address.
 */
import { spawn } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { nsenterArgv, labEnv } from "../lab/run.js";

/** Finds the control host (its PID) that can reach `host`, or undefined. */
export type EgressRoute = (host: string) => number | undefined;

/** A running egress proxy. */
export interface EgressProxy {
  socket: string;
  /** Tunnels opened so far, as "host:port" (a test can see the apiserver used it). */
  tunnels(): string[];
  stop(): Promise<void>;
}

const CONNECT = /^CONNECT ([0-9.]+):(\d+) HTTP\/1\.[01]\r\n/;

function tunnel(client: Socket, head: string, socat: string, route: EgressRoute, opened: string[]): void {
  const match = CONNECT.exec(head);
  const controlPid = match ? route(match[1] ?? "") : undefined;
  if (!match || controlPid === undefined) {
    client.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
    return;
  }
  opened.push(`${match[1]}:${match[2]}`);
  const argv = nsenterArgv(controlPid, ["net"], [socat, "STDIO", `TCP:${match[1]}:${match[2]},connect-timeout=5`]);
  const child = spawn(argv[0] ?? "nsenter", argv.slice(1), { env: labEnv(), stdio: ["pipe", "pipe", "ignore"] });
  client.write("HTTP/1.1 200 Connection established\r\n\r\n");
  child.stdout.pipe(client);
  client.pipe(child.stdin);
  child.stdin.on("error", () => client.destroy());
  child.once("exit", () => client.end());
  client.once("close", () => child.kill("SIGKILL"));
  client.on("error", () => child.kill("SIGKILL"));
}

/** Starts the proxy on `socket`; tunnels go through `socat` in the control host `route` names. */
export async function startEgressProxy(socket: string, socat: string, route: EgressRoute): Promise<EgressProxy> {
  const opened: string[] = [];
  const clients = new Set<Socket>();
  const server: Server = createServer((client) => {
    clients.add(client);
    client.once("close", () => clients.delete(client));
    let head = "";
    const onData = (chunk: Buffer): void => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      client.pause();
      client.off("data", onData);
      const rest = head.slice(head.indexOf("\r\n\r\n") + 4);
      if (rest) client.unshift(Buffer.from(rest, "latin1"));
      tunnel(client, head, socat, route, opened);
    };
    client.on("data", onData);
    client.on("error", () => undefined);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socket, resolve));
  return {
    socket, tunnels: () => [...opened],
    // Open tunnels (the apiserver keeps connections to kubelets alive) would hold close() forever.
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const client of clients) client.destroy();
    }),
  };
}
