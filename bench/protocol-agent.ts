/**
 * One stand-in node agent of the protocol bench (protocol-fleet.ts runs N of them): the agent's own
 * protocol parts — WatchedNetworkHealthStore, ReportGate, LeaseHeartbeat with the AgentLeaseClient,
 * the order bookkeeping — with the bench's canned facts instead of a host.
 */
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


const silent = pino({ level: "silent" });

/** Where an agent records what the fleet counts. */
export interface FleetSink {
  orderLatenciesMs: number[];
  countError(): void;
}

/** One stand-in agent: its store, gate, results and what it reports. */
export class ProtocolAgent {
  broken: boolean;
  private results: ReturnType<typeof appendResult> = [];
  private readonly gate: ReportGate;
  private readonly store: WatchedNetworkHealthStore | undefined;
  private readonly heartbeat: LeaseHeartbeat | undefined;
  /** When the agent last reported broken facts (ms), for the order latency. */
  private brokenAt: number | undefined;

  constructor(private readonly api: AgentApiClient & WatchedStoreApi, lease: AgentLeaseClient, readonly name: string, broken: boolean, private readonly protocol: Protocol, private readonly fleet: FleetSink) {
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
