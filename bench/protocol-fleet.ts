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
import type { RestCredentials } from "../src/k8s/light/rest-credentials.js";
import { countingClients, type AgentRequests } from "./protocol-clients.js";
import { ProtocolAgent, type Protocol } from "./protocol-agent.js";

export { PROTOCOLS, type Protocol } from "./protocol-agent.js";
export type { AgentRequests } from "./protocol-clients.js";

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
