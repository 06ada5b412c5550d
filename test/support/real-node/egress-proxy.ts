/**
 * The apiserver's way to the kubelets (logs, exec): an HTTP CONNECT proxy on a UNIX socket, named by
 * the apiserver's egress selector (as konnectivity is in k0s). The kubelets listen in lab network
 * namespaces this machine cannot route to, so each tunnel is a socat started in the lab host the
 * route names: the control host for a node address, the node's pod network for a pod address.
 */
import { spawn } from "node:child_process";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { nsenterArgv, labEnv } from "../lab/run.js";

/**
 * Finds the lab host (its PID) whose network dials `host`, or undefined when no way leads there
 * now (a 502, as konnectivity answers when no agent serves the destination).
 */
export type EgressRoute = (host: string) => number | undefined | Promise<number | undefined>;

/** A running egress proxy. */
export interface EgressProxy {
  socket: string;
  /** Tunnels opened so far, as "host:port" (a test can see the apiserver used it). */
  tunnels(): string[];
  stop(): Promise<void>;
}

const CONNECT = /^CONNECT ([0-9.]+):(\d+) HTTP\/1\.[01]\r\n/;

async function tunnel(client: Socket, head: string, socat: string, route: EgressRoute, opened: string[]): Promise<void> {
  const match = CONNECT.exec(head);
  const pid = match ? await route(match[1] ?? "") : undefined;
  if (!match || pid === undefined) {
    client.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
    return;
  }
  opened.push(`${match[1]}:${match[2]}`);
  const argv = nsenterArgv(pid, ["net"], [socat, "STDIO", `TCP:${match[1]}:${match[2]},connect-timeout=5`]);
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
      void tunnel(client, head, socat, route, opened).catch(() => client.destroy());
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

/** A loopback port whose connections go on to a cluster address. */
export interface ClusterForward {
  /** "127.0.0.1:port" to dial (a Prometheus target). */
  address: string;
  stop(): Promise<void>;
}

/** Opens a CONNECT tunnel to `target` through the proxy on `socket`; destroys `client` if refused. */
function connectThrough(client: Socket, socket: string, target: string): void {
  const upstream = connect(socket, () => upstream.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
  let head = "";
  const onData = (chunk: Buffer): void => {
    head += chunk.toString("latin1");
    if (!head.includes("\r\n\r\n")) return;
    upstream.off("data", onData);
    if (!head.startsWith("HTTP/1.1 200")) return void client.destroy();
    const rest = head.slice(head.indexOf("\r\n\r\n") + 4);
    if (rest) client.write(Buffer.from(rest, "latin1"));
    upstream.pipe(client);
    client.pipe(upstream);
    client.resume();
  };
  upstream.on("data", onData);
  for (const s of [client, upstream]) s.on("error", () => { client.destroy(); upstream.destroy(); });
  client.once("close", () => upstream.destroy());
  upstream.once("close", () => client.destroy());
}

/**
 * Serves a loopback port that reaches `target` ("ip:port" in the cluster) the way the apiserver
 * does, through the egress proxy: a scrape of a pod fails exactly when the apiserver could not
 * reach it either.
 */
export async function forwardToCluster(socket: string, target: string): Promise<ClusterForward> {
  const clients = new Set<Socket>();
  const server = createServer((client) => {
    clients.add(client);
    client.once("close", () => clients.delete(client));
    client.pause();
    connectThrough(client, socket, target);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const client of clients) client.destroy();
    }),
  };
}
