// The setting of the k3s and RKE2 lab suites: a node agent pinned to an etcd-only server. On the
// lab's control host, a TLS stand-in on the control address answers `apiserver disabled` (the
// etcd-only server) and one on a second address answers as an apiserver (the live one); the
// distribution's host files are written into the worker's scratch layers pointing at the first;
// a real Agent runs against an in-memory NetworkHealth whose live apiservers are the second.
import { expect, it } from "@jest/globals";
import type { ChildProcess } from "node:child_process";
import type { ActionResult, NetworkHealthStatus, PlannedAction } from "../../src/api/index.js";
import { Agent } from "../../src/agent/agent.js";
import { HostNetworkDialer } from "../../src/agent/host-dialer.js";
import { HostExecutor } from "../../src/agent/host-executor.js";
import { startLab, type Lab } from "../support/lab/index.js";
import { captureLogger, machineState, MemoryNetworkHealthStore, startTlsServer } from "./agent-support.js";

/** What differs between distributions. */
export interface PinnedAgentSetup {
  /** The port agents join servers on (k3s 6443, RKE2's supervisor 9345). */
  port: number;
  /** The gitVersion the live server's /version reports. */
  gitVersion: string;
  /** Writes the host files pinned to `server`; returns the paths written (their content is kept as `originals`). */
  writeHostFiles: (lab: Lab, server: string) => Promise<readonly string[]>;
}

/** A started pinned-agent lab and the handles its tests use. */
export interface PinnedAgentLab {
  lab: Lab;
  agent: Agent;
  store: MemoryNetworkHealthStore;
  /** host:port of the etcd-only and of the live server. */
  etcdOnly: string;
  live: string;
  /** The host files as written, by path. */
  originals: Record<string, string>;
  /** Every log line of the agent. */
  lines: string[];
  /** The NetworkHealth status as the agent (and the test, as controller) left it. */
  status(): NetworkHealthStatus;
  /** The agent's results for one order. */
  results(orderId: string): ActionResult[];
  /** Writes a Pending order, as the controller would. */
  order(orderId: string, actions: PlannedAction[]): void;
  /** Units the lab's systemctl restarted, oldest first. */
  restarts(): Promise<string[]>;
  /** Stops both servers and reads this machine's files and network now, beside their state before the lab started. */
  machineUnchanged(): Promise<{ before: Record<string, unknown>; now: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/** Starts the lab, both servers and the agent (see the file comment). */
export async function startPinnedAgentLab(setup: PinnedAgentSetup): Promise<PinnedAgentLab> {
  const before = await machineState();
  const servers: ChildProcess[] = [];
  const lab = await startLab({ controlPorts: [8132] });
  const liveIP = lab.addresses.control.replace(/\.1$/, ".3");
  const added = await lab.execIn("control", ["ip", "addr", "add", `${liveIP}/24`, "dev", "eth0"]);
  if (added.code !== 0) throw new Error(`lab: cannot add ${liveIP}: ${added.stderr}`);
  const etcdOnly = `${lab.addresses.control}:${setup.port}`;
  const live = `${liveIP}:${setup.port}`;
  servers.push(await startTlsServer(lab, "control", lab.addresses.control, setup.port, 503, "apiserver disabled\n"));
  servers.push(await startTlsServer(lab, "control", liveIP, setup.port, 200, JSON.stringify({ major: "1", minor: "28", gitVersion: setup.gitVersion })));
  const paths = await setup.writeHostFiles(lab, `https://${etcdOnly}`);
  const originals = Object.fromEntries(await Promise.all(paths.map(async (p) => [p, await lab.readFile(p)] as const)));
  const store = new MemoryNetworkHealthStore(lab.hostname, { apiServers: [live] });
  const { logger, lines } = captureLogger("trace");
  const host = new HostExecutor(lab.workerPid);
  const agent = new Agent(
    { nodeName: lab.hostname, intervalMs: 1000, heartbeatMs: 30_000, probeTimeoutMs: 2500, podNetwork: {}, version: "test" },
    { store, host, dialer: new HostNetworkDialer(host), logger },
  );
  const status = (): NetworkHealthStatus => store.object?.status ?? {};
  return {
    lab, agent, store, etcdOnly, live, originals, lines, status,
    results: (orderId) => (status().agent?.results ?? []).filter((r) => r.orderId === orderId),
    order: (orderId, actions) => store.setControllerFields({ remediation: { phase: "Pending", orderId, actions } }),
    restarts: async () => (await lab.systemctlLog()).filter((c) => c.verb === "restart").map((c) => c.units.join(",")),
    async machineUnchanged() {
      for (const server of servers) server.kill("SIGKILL");
      return { before, now: await machineState() };
    },
    stop: async () => {
      for (const server of servers) server.kill("SIGKILL");
      await lab.stop();
    },
  };
}

/** Everything the agent said or wrote: log lines, applied statuses, the object, action details. */
function everythingSaid(pinned: PinnedAgentLab): string {
  const details = [...pinned.agent.outcomes.values()].map((outcome) => outcome.detail);
  return [...pinned.lines, JSON.stringify(pinned.store.applied), JSON.stringify(pinned.store.object), JSON.stringify(details)].join("\n");
}

/**
 * The two tests every pinned-agent suite ends with (call inside its describe, last): no part of the
 * join token in anything the agent said or wrote, and this machine's files and network unchanged.
 */
export function itKeepsTheTokenAndThisMachine(pinned: () => PinnedAgentLab, secretParts: readonly string[]): void {
  it("the token never appears in any log line, applied status, result detail or fact", () => {
    expect(pinned().lines.length).toBeGreaterThan(5);
    for (const secret of secretParts) expect(everythingSaid(pinned())).not.toContain(secret);
  });

  it("this machine's own files and network never changed", async () => {
    const { before, now } = await pinned().machineUnchanged();
    expect(now).toEqual(before);
  });
}
