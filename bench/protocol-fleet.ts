/**
 * N node agents speaking a status protocol to a real apiserver from one process, each with its own
 * client (its own connections) and the agent's own protocol parts: the light API client, the
 * WatchedNetworkHealthStore (list + watch of its own object, relist on 410), the ReportGate
 * (write on change, or when the heartbeat is due without a working Lease), the LeaseHeartbeat with
 * the AgentLeaseClient, and the order bookkeeping (dueOrder, results). Only the host is left out:
 * facts are the bench's canned healthy/broken facts, and "executing" an order means recording
 * Succeeded and reporting healthy facts. Protocols:
 *   lease — as shipped: one WATCH per agent, interval rounds, woken by an order, NetworkHealth
 *           written only on change, liveness by a Lease renewed every 5 min;
 *   watch — the same with the heartbeat as a NetworkHealth status apply every 5 min;
 *   poll  — before issue 18: a GET every round (10 s), heartbeat 30 s.
 */
import { setMaxListeners } from "node:events";
import { pino } from "pino";
import type { NetworkHealth } from "../src/api/index.js";
import { sleep as abortableSleep } from "../src/agent/backoff.js";
import { appendResult, dueOrder } from "../src/agent/orders.js";
import { LeaseHeartbeat } from "../src/agent/lease-heartbeat.js";
import { agentStatus, ReportGate, type AgentReport } from "../src/agent/report.js";
import { WatchedNetworkHealthStore, type WatchedStoreApi } from "../src/agent/watched-store.js";
import type { AgentApiClient } from "../src/k8s/light/agent-api-client.js";
import type { AgentLeaseClient } from "../src/k8s/light/agent-lease.js";
import { staleAfterForHeartbeat } from "../src/core/policy.js";
import type { RestCredentials } from "../src/k8s/light/rest-credentials.js";
import { countingClients, type AgentRequests } from "./protocol-clients.js";
import { agentFacts, podProbe } from "./cluster.js";

/** The protocol an agent speaks, with its intervals. */
export interface Protocol {
  name: "lease" | "watch" | "poll";
  intervalMs: number;
  heartbeatMs: number;
}

/** The shipped protocol and the ones it replaced, at their real intervals. */
export const PROTOCOLS: Record<Protocol["name"], Protocol> = {
  lease: { name: "lease", intervalMs: 10_000, heartbeatMs: 300_000 },
  watch: { name: "watch", intervalMs: 10_000, heartbeatMs: 300_000 },
  poll: { name: "poll", intervalMs: 10_000, heartbeatMs: 30_000 },
};

export type { AgentRequests } from "./protocol-clients.js";

const silent = pino({ level: "silent" });

/** One stand-in agent: its store, gate, results and what it reports. */
class ProtocolAgent {
  broken: boolean;
  private results: ReturnType<typeof appendResult> = [];
  private readonly gate: ReportGate;
  private readonly store: WatchedNetworkHealthStore | undefined;
  private readonly heartbeat: LeaseHeartbeat | undefined;
  /** When the agent last reported broken facts (ms), for the order latency. */
  private brokenAt: number | undefined;

  constructor(private readonly api: AgentApiClient & WatchedStoreApi, lease: AgentLeaseClient, readonly name: string, broken: boolean, private readonly protocol: Protocol, private readonly fleet: ProtocolFleet) {
    this.broken = broken;
    this.gate = new ReportGate(protocol.heartbeatMs);
    if (protocol.name !== "poll") this.store = new WatchedNetworkHealthStore(api, name, silent);
    const { heartbeatMs } = protocol;
    if (protocol.name === "lease") this.heartbeat = new LeaseHeartbeat(lease, { node: name, heartbeatMs, leaseDurationSeconds: staleAfterForHeartbeat(heartbeatMs / 1000), logger: silent });
  }

  /** Lists and watches of this agent's store that failed (0 for the poll protocol). */
  get watchFailures(): number {
    return this.store?.watch.failures ?? 0;
  }

  /** Whether the agent's store holds a listed object (always for the poll protocol) and its Lease was renewed (always without one). */
  get ready(): { synced: boolean; leased: boolean } {
    return { synced: this.store?.watch.synced ?? true, leased: this.heartbeat ? this.heartbeat.current === "working" : true };
  }

  /** Watch attempts this agent's store ended for want of its own write (0 for the poll protocol). */
  get silentRestarts(): number {
    return this.store?.watch.silentRestarts ?? 0;
  }

  /** Runs rounds until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const following = this.store?.follow(signal);
    while (!signal.aborted) {
      try {
        await this.round();
      } catch {
        this.fleet.countError();
      }
      await this.pause(signal);
    }
    await following;
  }

  /** Breaks the node: reports broken facts at once; the order latency counts from before that write. */
  async breakNow(): Promise<void> {
    this.broken = true;
    this.brokenAt = Date.now();
    await this.publish(true);
  }

  private async round(): Promise<void> {
    const health = this.store ? await this.store.get() : await this.api.get(this.name);
    if (!health) return;
    const order = dueOrder(health.status?.remediation, this.results);
    if (order) {
      if (this.brokenAt !== undefined) this.fleet.orderLatenciesMs.push(Date.now() - this.brokenAt);
      this.brokenAt = undefined;
      for (const action of order.actions) {
        this.results = appendResult(this.results, { orderId: order.orderId, action: action.action, result: "Succeeded", detail: "bench", time: stamp() });
      }
      this.broken = false;
      await this.publish(true);
      return;
    }
    await this.publish(false);
    // After the report, as the agent does; a failed renewal is the heartbeat's to retry, never the round's.
    await this.heartbeat?.round(new Date());
  }

  private async publish(force: boolean): Promise<void> {
    const report: AgentReport = { facts: agentFacts(this.broken), probes: [podProbe()], results: this.results, version: "bench" };
    if (!force && !this.gate.due(report, Date.now(), this.heartbeat?.working(Date.now()))) return;
    // Through the store, as the agent does: the watch must then deliver the write (expectDelivery).
    await (this.store ?? this.api).applyStatus(this.name, agentStatus(report, stamp()));
    this.gate.written(report, Date.now());
  }

  private async pause(signal: AbortSignal): Promise<void> {
    if (!this.store) return abortableSleep(this.protocol.intervalMs, signal);
    await this.store.waitForChange(this.protocol.intervalMs, signal, (h: NetworkHealth) => dueOrder(h.status?.remediation, this.results) !== undefined);
  }
}

const stamp = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/** A fleet of stand-in agents, one per node, all speaking `protocol`. */
export class ProtocolFleet {
  readonly requests: AgentRequests = { GET: 0, LIST: 0, WATCH: 0, APPLY: 0, LEASE: 0 };
  readonly orderLatenciesMs: number[] = [];
  private roundErrors = 0;
  private readonly agents = new Map<string, ProtocolAgent>();
  private readonly stop = new AbortController();
  private running: Promise<void>[] = [];

  constructor(credentials: RestCredentials, nodes: ReadonlyMap<string, boolean>, readonly protocol: Protocol) {
    // Every agent's sleep listens on the one stop signal.
    setMaxListeners(0, this.stop.signal);
    for (const [name, broken] of nodes) {
      const { api, lease } = countingClients(credentials, this.requests);
      this.agents.set(name, new ProtocolAgent(api, lease, name, broken, protocol, this));
    }
  }

  /**
   * Starts every agent, spread evenly over `spreadMs` (a DaemonSet rollout, not a thundering herd).
   * Each agent has its start time; every wake-up starts all that are due, so a lagging event loop
   * (5,000 agents' rounds) starts them in small batches instead of stretching the rollout.
   */
  async start(spreadMs: number): Promise<void> {
    const agents = [...this.agents.values()];
    const gap = spreadMs / Math.max(1, agents.length);
    const begun = Date.now();
    let next = 0;
    while (next < agents.length) {
      while (next < agents.length && Date.now() - begun >= next * gap) this.running.push((agents[next++] as ProtocolAgent).run(this.stop.signal));
      await new Promise((resolve) => setTimeout(resolve, Math.max(5, gap)));
    }
  }

  /** Counts an agent's failed round or write. */
  countError(): void {
    this.roundErrors += 1;
  }

  /** Failed rounds and writes, and failed lists and watches (which the agents retry by themselves). */
  get errors(): number {
    return this.roundErrors + [...this.agents.values()].reduce((sum, agent) => sum + agent.watchFailures, 0);
  }

  /** Agents whose store has listed their object, and whose Lease heartbeat works (the lease protocol). */
  readiness(): string {
    const { listed, leased } = this.readyCounts();
    return `${listed} listed, ${leased} with a working Lease`;
  }

  /** Whether every agent has listed its object and (lease protocol) renewed its Lease: the fleet's start is over. */
  allReady(): boolean {
    const { listed, leased } = this.readyCounts();
    return listed === this.agents.size && leased === this.agents.size;
  }

  private readyCounts(): { listed: number; leased: number } {
    const states = [...this.agents.values()].map((agent) => agent.ready);
    return { listed: states.filter((s) => s.synced).length, leased: states.filter((s) => s.leased).length };
  }

  /** Watches ended because an agent's own write did not come back on them (a dead or lagging watch). */
  silentRestarts(): number {
    return [...this.agents.values()].reduce((sum, agent) => sum + agent.silentRestarts, 0);
  }

  /** Breaks `name`'s node now (its agent reports broken facts at once). */
  breakNode(name: string): Promise<void> {
    const agent = this.agents.get(name);
    if (!agent) throw new Error(`no agent for ${name}`);
    return agent.breakNow();
  }

  /** Whether the agent of `name` reports broken facts. */
  isBroken(name: string): boolean {
    return this.agents.get(name)?.broken ?? false;
  }

  /** A copy of the request counts. */
  snapshot(): AgentRequests {
    return { ...this.requests };
  }

  /** Stops every agent and waits for their rounds and watches to end. */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.running);
  }
}
