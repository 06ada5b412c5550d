/**
 * Helpers of the controller's integration tests (test/integration/controller*.test.ts), on top of
 * the real control-plane harness:
 * - loopback Nodes whose only address is 127.0.0.1, so the apiserver's pods/log proxy reaches a
 *   kubelet stand-in here (and never resolves a hostname or dials anything but loopback);
 * - that stand-in: an HTTPS server answering /containerLogs like a kubelet (there are no kubelets);
 * - a TCP proxy between a controller and the apiserver, the thin fault layer for what the real
 *   server cannot do on demand: drop every stream at once and refuse reconnects for a while;
 * - request counting from an apiserver's own apiserver_request_total (a replica only this file
 *   uses), and write counting per object from the shared apiserver's audit log;
 * - Nodes kept Ready by a kubelet-like Lease heartbeat and deleted with the file.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { startLeaseHeartbeat, type Heartbeat } from "../support/control-plane/kubelet.js";
import { createServer as createHttpsServer, get as httpsGet, type RequestOptions } from "node:https";
import { createServer as createTcpServer, connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { AddressInfo } from "node:net";
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { FIELD_MANAGER_AGENT, type HostFacts, type NetworkHealth, type ProbeResult } from "../../src/api/index.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { createControllerLogger } from "../../src/controller/logger.js";
import { startController, type RunningController } from "../../src/controller/controller.js";
import { asServiceAccount } from "../support/control-plane/cluster.js";

/** Polls `check` every 200 ms until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A logger that keeps its JSON lines in memory (assert on them; print them when a test fails). */
export function memoryLogger(level = "debug"): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createControllerLogger(level, sink), lines };
}

/**
 * Starts a controller in-process as ServiceAccount <namespace>/netmedic-controller (the RBAC is the
 * caller's), `config` its ConfigMap's config.yaml, with these tests' fast election and restart
 * timings; resolves once it leads.
 */
export async function startLeadingController(admin: KubeConfig, namespace: string, config: string, identity: string, logger: Logger): Promise<RunningController> {
  await admin.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace, body: { metadata: { name: "netmedic-config" }, data: { "config.yaml": config } } });
  const controller = await startController({
    kubeConfig: await asServiceAccount(admin, namespace, "netmedic-controller"), namespace, listen: { host: "127.0.0.1", port: 0 }, identity,
    leaseName: "netmedic-controller", leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 0.5, logger, restartBackoff: { baseMs: 200, capMs: 2000 },
  });
  await eventually("leadership", () => controller.isLeader());
  return controller;
}

const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Creates a Ready Node reachable (kubelet port) only on 127.0.0.1:`kubeletPort`. */
export async function createLoopbackNode(kubeConfig: KubeConfig, name: string, kubeletPort: number, labels: Record<string, string> = {}): Promise<string> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const created = await core.createNode({ body: { metadata: { name, labels: { "kubernetes.io/hostname": name, ...labels } }, spec: { podCIDR: "10.244.1.0/24" } } });
  const now = new Date().toISOString();
  const status = {
    addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
    daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
    conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: now, lastTransitionTime: now }],
  };
  await core.patchNodeStatus({ name, body: { status } }, MERGE);
  return created.metadata?.uid ?? "";
}

/** Creates a konnectivity-agent Pod on `nodeName` with the k0s agent's real args, marked Running. */
export async function createKonnectivityAgentPod(kubeConfig: KubeConfig, name: string, nodeName: string, serverHost: string): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const args = ["--logtostderr=true", "--ca-cert=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", `--proxy-server-host=${serverHost}`,
    "--proxy-server-port=8132", "--service-account-token-path=/var/run/secrets/tokens/konnectivity-agent-token", "--agent-identifiers=host=$(NODE_IP)"];
  await core.createNamespacedPod({
    namespace: "kube-system",
    body: {
      metadata: { name, labels: { "k8s-app": "konnectivity-agent" } },
      spec: { nodeName, containers: [{ name: "konnectivity-agent", image: "quay.io/k0sproject/apiserver-network-proxy-agent:v0.31.0", args }] },
    },
  });
  const now = new Date().toISOString();
  await core.patchNamespacedPodStatus({ name, namespace: "kube-system", body: { status: { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }] } } }, MERGE);
}

/** What the node agent would report, applied under its own field manager. */
export async function reportAsAgent(kubeConfig: KubeConfig, node: string, facts: HostFacts, probes: ProbeResult[] = []): Promise<NetworkHealth> {
  const now = new Date().toISOString();
  const agent = new NetworkHealthClient(kubeConfig, FIELD_MANAGER_AGENT);
  return agent.applyStatus(node, { facts: { ...facts, collectedAt: now }, probes: probes.map((p) => ({ ...p, time: now })), agent: { heartbeatTime: now, version: "test" } });
}

/** A kubelet stand-in: serves /containerLogs/<ns>/<pod>/<container> from `logs` ("ns/pod" → text). */
export async function startKubeletStandIn(): Promise<{ port: number; logs: Map<string, string>; requests: string[]; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "netmedic-kubelet-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
  const logs = new Map<string, string>();
  const requests: string[] = [];
  const server = createHttpsServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (request, response) => {
    requests.push(request.url ?? "");
    const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/[^/?]+/.exec(request.url ?? "");
    const text = match ? logs.get(`${match[1]}/${match[2]}`) : undefined;
    if (text === undefined) response.writeHead(404).end("not found");
    else response.writeHead(200, { "Content-Type": "text/plain" }).end(text);
  });
  rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port, logs, requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A fault proxy's controls. */
export interface FaultProxy {
  url: string;
  /** Drops every connection (the peers see a reset) and refuses new ones until `restore()`. */
  cut: () => void;
  restore: () => void;
  /**
   * Stops forwarding on every open connection without closing it — a middlebox that dropped the
   * connections' state: their peers hear nothing, ever. New connections work.
   */
  stall: () => void;
  close: () => Promise<void>;
}

/** A loopback TCP proxy to `target` whose connections can be cut or stalled. */
export async function startFaultProxy(target: URL): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<readonly [Socket, Socket]>();
  let refusing = false;
  const server = createTcpServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = connect(Number(target.port), target.hostname);
    const pair = [client, upstream] as const;
    pairs.add(pair);
    // Either side failing or closing ends the other, as a real network path would (an apiserver
    // that is down refuses the connection; it must not leave the client hanging).
    for (const [socket, peer] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(socket);
      socket.on("close", () => {
        sockets.delete(socket);
        pairs.delete(pair);
        peer.destroy();
      });
      socket.on("error", () => peer.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const cut = () => {
    refusing = true;
    for (const socket of sockets) socket.destroy();
  };
  const stall = () => {
    for (const [client, upstream] of pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
    pairs.clear();
  };
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut, stall, restore: () => (refusing = false),
    close: () => new Promise((resolve) => {
      cut();
      server.close(() => resolve());
    }),
  };
}

/** A copy of `kubeConfig` pointing at `server` (same CA and credentials). */
export function kubeConfigVia(kubeConfig: KubeConfig, server: string): KubeConfig {
  const cluster = kubeConfig.getCurrentCluster();
  const user = kubeConfig.getCurrentUser();
  if (!cluster || !user) throw new Error("kubeconfig without cluster or user");
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ ...cluster, server }], users: [user],
    contexts: [{ name: "via", cluster: cluster.name, user: user.name }], currentContext: "via",
  });
  return config;
}

/** Requests the apiserver has served for `resource` whose verb matches `verbs` (from its apiserver_request_total). */
export async function apiserverRequests(kubeConfig: KubeConfig, resource: string, verbs: string): Promise<number> {
  const url = new URL(`${kubeConfig.getCurrentCluster()?.server ?? ""}/metrics`);
  const options: RequestOptions = { hostname: url.hostname, port: url.port, path: url.pathname };
  await kubeConfig.applyToHTTPSOptions(options);
  const text = await new Promise<string>((resolve, reject) => {
    httpsGet(options, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve(body));
    }).on("error", reject);
  });
  const verb = new RegExp(`verb="(${verbs})"`);
  return text.split("\n")
    .filter((line) => line.startsWith("apiserver_request_total{") && line.includes(`resource="${resource}"`) && verb.test(line))
    .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

const WRITE_VERBS = new Set(["create", "update", "patch", "delete", "deletecollection"]);

/**
 * Writes (any verb but get, list and watch) of `resource` objects named `names` in the audit log at
 * `auditLogPath`: the shared apiserver serves other files too, so only this file's objects count.
 * With `username`, only that client's writes.
 */
export function auditedWrites(auditLogPath: string, resource: string, names: string[], username?: string): number {
  return readFileSync(auditLogPath, "utf8").split("\n").filter((line) => line.includes(`"resource":"${resource}"`))
    .map((line) => JSON.parse(line) as { verb: string; objectRef?: { resource?: string; name?: string }; user?: { username?: string } })
    .filter((event) => WRITE_VERBS.has(event.verb) && event.objectRef?.resource === resource && names.includes(event.objectRef.name ?? ""))
    .filter((event) => username === undefined || event.user?.username === username).length;
}

/**
 * This file's loopback Nodes on the shared plane: each kept Ready under the 40 s node grace by a
 * Lease heartbeat (no Node writes, so no update events), all deleted by `cleanup()`.
 */
export function loopbackNodes(kubeConfig: KubeConfig, kubeletPort: number): LoopbackNodes {
  const heartbeats = new Map<string, Heartbeat>();
  const remove = async (name: string) => {
    heartbeats.get(name)?.stop();
    heartbeats.delete(name);
    await kubeConfig.makeApiClient(CoreV1Api).deleteNode({ name }).catch((error: { code?: number }) => {
      if (error.code !== 404) throw error;
    });
  };
  return {
    async create(name) {
      const uid = await createLoopbackNode(kubeConfig, name, kubeletPort);
      heartbeats.set(name, startLeaseHeartbeat(kubeConfig, name));
      return uid;
    },
    remove,
    cleanup: async () => void (await Promise.all([...heartbeats.keys()].map(remove))),
  };
}

/** See loopbackNodes. */
export interface LoopbackNodes {
  /** Creates a Ready loopback Node and starts its Lease heartbeat; returns its uid. */
  create(name: string): Promise<string>;
  /** Stops its heartbeat and deletes it. */
  remove(name: string): Promise<void>;
  /** remove() of every Node still here. */
  cleanup(): Promise<void>;
}
