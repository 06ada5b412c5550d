/**
 * N node agents speaking a status protocol to a real apiserver from one process, each with its own
 * client (its own connections) and the agent's own protocol parts: the light API client, the
 * WatchedNetworkHealthStore (list + watch of its own object, relist on 410), the ReportGate
 * (write on change or when the heartbeat is due) and the order bookkeeping (dueOrder, results).
 * Only the host is left out: facts are the bench's canned healthy/broken facts, and "executing" an
 * order means recording Succeeded and reporting healthy facts. Protocols:
 *   watch — as shipped: one WATCH per agent, interval rounds, heartbeat 5 min, woken by an order;
 *   poll  — before issue 18: a GET every round (10 s), heartbeat 30 s.
 */
import { setMaxListeners } from "node:events";
import { pino } from "pino";
import type { NetworkHealth, NetworkHealthStatus } from "../src/api/index.js";
import { sleep as abortableSleep } from "../src/agent/backoff.js";
import { appendResult, dueOrder } from "../src/agent/orders.js";
import { agentStatus, ReportGate, type AgentReport } from "../src/agent/report.js";
import { WatchedNetworkHealthStore, type WatchedStoreApi } from "../src/agent/watched-store.js";
import { AgentApiClient } from "../src/k8s/light/agent-api-client.js";
import type { RestCredentials } from "../src/k8s/light/rest-credentials.js";
import { RestClient } from "../src/k8s/light/rest-client.js";
import { agentFacts, podProbe } from "./cluster.js";

/** The protocol an agent speaks, with its intervals. */
export interface Protocol {
  name: "watch" | "poll";
  intervalMs: number;
  heartbeatMs: number;
}

/** The shipped protocol and the one it replaced, at their real intervals. */
export const PROTOCOLS: Record<Protocol["name"], Protocol> = {
  watch: { name: "watch", intervalMs: 10_000, heartbeatMs: 300_000 },
  poll: { name: "poll", intervalMs: 10_000, heartbeatMs: 30_000 },
};

/** Requests the agents sent, by verb. */
export type AgentRequests = Record<"GET" | "LIST" | "WATCH" | "APPLY", number>;

const silent = pino({ level: "silent" });

/** One stand-in agent: its store, gate, results and what it reports. */
class ProtocolAgent {
  broken: boolean;
  private results: ReturnType<typeof appendResult> = [];
  private readonly gate: ReportGate;
  private readonly store: WatchedNetworkHealthStore | undefined;
  /** When the agent last reported broken facts (ms), for the order latency. */
  private brokenAt: number | undefined;

  constructor(private readonly api: AgentApiClient & WatchedStoreApi, readonly name: string, broken: boolean, private readonly protocol: Protocol, private readonly fleet: ProtocolFleet) {
    this.broken = broken;
    this.gate = new ReportGate(protocol.heartbeatMs);
    if (protocol.name === "watch") this.store = new WatchedNetworkHealthStore(api, name, silent);
  }

  /** Lists and watches of this agent's store that failed (0 for the poll protocol). */
  get watchFailures(): number {
    return this.store?.watch.failures ?? 0;
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
  }

  private async publish(force: boolean): Promise<void> {
    const report: AgentReport = { facts: agentFacts(this.broken), probes: [podProbe()], results: this.results, version: "bench" };
    if (!force && !this.gate.due(report, Date.now())) return;
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

/** An AgentApiClient that counts what it sends. */
function countingClient(credentials: RestCredentials, counts: AgentRequests): AgentApiClient & WatchedStoreApi {
  const client = new AgentApiClient(new RestClient(credentials, { userAgent: "netmedic-agent-bench" }));
  return Object.assign(Object.create(client) as AgentApiClient, {
    get: (name: string) => (counts.GET += 1, client.get(name)),
    listOne: (name: string) => (counts.LIST += 1, client.listOne(name)),
    watchOne: (...args: Parameters<AgentApiClient["watchOne"]>) => (counts.WATCH += 1, client.watchOne(...args)),
    applyStatus: (name: string, status: NetworkHealthStatus) => (counts.APPLY += 1, client.applyStatus(name, status)),
  });
}

/** A fleet of stand-in agents, one per node, all speaking `protocol`. */
export class ProtocolFleet {
  readonly requests: AgentRequests = { GET: 0, LIST: 0, WATCH: 0, APPLY: 0 };
  readonly orderLatenciesMs: number[] = [];
  private roundErrors = 0;
  private readonly agents = new Map<string, ProtocolAgent>();
  private readonly stop = new AbortController();
  private running: Promise<void>[] = [];

  constructor(credentials: RestCredentials, nodes: ReadonlyMap<string, boolean>, readonly protocol: Protocol) {
    // Every agent's sleep listens on the one stop signal.
    setMaxListeners(0, this.stop.signal);
    for (const [name, broken] of nodes) this.agents.set(name, new ProtocolAgent(countingClient(credentials, this.requests), name, broken, protocol, this));
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
