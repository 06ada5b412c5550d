/**
 * The node agent's loop. Each round: read the node's NetworkHealth (created by the controller with
 * the probe targets in an annotation; until then the agent waits), execute the due part of an
 * approved order (order-execution.ts), collect host facts, run the probes, and apply facts + probes
 * + agent status with server-side apply only when the content changed (or, without a working
 * heartbeat Lease, the heartbeat is due), then renew the Lease when due (lease-heartbeat.ts).
 * Between rounds the loop sleeps its interval, or less when the store (a watch, in production) shows
 * an order to execute, the object's first appearance or new probe targets. Errors back off (capped,
 * jittered); nothing crashes the loop.
 */
import type { NetworkHealth, ProbeTargets } from "../api/index.js";
import type { AgentConfig, AgentDeps } from "./agent-config.js";
import { Backoff, sleep } from "./backoff.js";
import { collectFacts, type HostSnapshot } from "./facts.js";
import { OrderExecution } from "./order-execution.js";
import { planProbes, runProbes } from "./probes.js";
import type { RecentOutcomes } from "./recent-outcomes.js";
import { agentStatus, ReportGate, type AgentReport } from "./report.js";
import { decodeProbeTargets, storedProbeTargets } from "../core/probe-targets.js";

/** What one round did: "changed" = reported new content, "reported" = a heartbeat only. */
export type RoundOutcome = "waiting" | "changed" | "reported" | "unchanged";

/** A node agent. */
export class Agent {
  /** The last annotation value refused (logged once, not every round). */
  private refusedTargets: string | undefined;
  /** The probe-targets annotation the last round used (a new value wakes the loop). */
  private usedTargets: string | undefined;
  /** The object did not exist at the last round (its creation wakes the loop). */
  private waiting = false;
  /** Actions ran: the next round reports even unchanged facts, collected after them, for the controller to confirm. */
  private reportAfterActions = false;
  private readonly report: AgentReport;
  private readonly gate: ReportGate;
  private readonly clock: () => Date;
  private readonly orders: OrderExecution;
  /** The last facts round, while no action ran since: an order that comes within an interval acts on it. */
  private lastFacts?: { snapshot: HostSnapshot; atMs: number };

  constructor(private readonly config: AgentConfig, private readonly deps: AgentDeps) {
    this.report = { probes: [], results: [], version: config.version };
    this.gate = new ReportGate(config.heartbeatMs);
    this.clock = deps.clock ?? (() => new Date());
    this.orders = new OrderExecution(config, deps, this.clock, () => this.timestamp());
  }

  /** Outcomes (with revert) of the newest actions this process executed, keyed `orderId/action`. */
  get outcomes(): RecentOutcomes {
    return this.orders.outcomes;
  }

  private timestamp(): string {
    return this.clock().toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  /** One round. Throws on API errors (the loop backs off). */
  async round(): Promise<RoundOutcome> {
    // Before any API call: a node cut off by an unconfirmed change must heal itself first (§4).
    await this.orders.recoverOnce(this.clock());
    const health = await this.deps.store.get(this.config.nodeName);
    this.waiting = !health;
    if (!health) return "waiting";
    this.reportAfterActions ||= this.orders.adoptOnce(health);
    const targets = this.targetsOf(health);
    await this.orders.executeDue(health, targets, async () => {
      this.reportAfterActions = true;
      await this.publish(true);
    }, this.takeRecentFacts());
    const factsAtMs = this.clock().getTime();
    const snapshot = await collectFacts(this.deps.host, this.config.podNetwork, () => this.timestamp());
    this.lastFacts = { snapshot, atMs: factsAtMs };
    const deadManError = this.orders.deadManError;
    const errors = [...(snapshot.facts.errors ?? []), ...(deadManError ? [deadManError] : [])];
    this.report.facts = { ...snapshot.facts, ...(errors.length ? { errors } : {}) };
    const slots = planProbes(targets, snapshot.facts.apiServer?.configured ?? [], this.config.probeEndpoint ?? targets.probeEndpoint, this.config.probeTimeoutMs);
    try {
      this.report.probes = await runProbes(this.deps.dialer, slots, this.timestamp());
    } catch (error) {
      this.deps.logger.warn({ error: (error as Error).message }, "probe round failed; keeping the previous probes");
    }
    const force = this.reportAfterActions;
    this.reportAfterActions = false;
    const outcome = await this.publish(force);
    // Only after the report is written: a renewal vouches that the last report still holds.
    await this.deps.leaseHeartbeat?.round(this.clock());
    return outcome;
  }

  /** The last facts round if it started within the interval; it is used up either way (an order may change the host). */
  private takeRecentFacts(): HostSnapshot | undefined {
    const last = this.lastFacts;
    this.lastFacts = undefined;
    return last && this.clock().getTime() - last.atMs <= this.config.intervalMs ? last.snapshot : undefined;
  }

  /** The controller's probe targets from the object's annotation; a refused value is logged once and probes nothing. */
  private targetsOf(health: NetworkHealth): ProbeTargets {
    const stored = storedProbeTargets(health);
    this.usedTargets = stored;
    const decoded = decodeProbeTargets(stored);
    if (decoded.error === undefined) return decoded.targets;
    if (stored !== this.refusedTargets) this.deps.logger.warn({ error: decoded.error }, "probe targets refused");
    this.refusedTargets = stored;
    return {};
  }

  private async publish(force: boolean): Promise<RoundOutcome> {
    const current: AgentReport = { ...this.report, results: this.orders.results };
    const nowMs = this.clock().getTime();
    if (!force && !this.gate.due(current, nowMs, this.deps.leaseHeartbeat?.working(nowMs))) return "unchanged";
    const changed = this.gate.changed(current);
    await this.deps.store.applyStatus(this.config.nodeName, agentStatus(current, this.timestamp()));
    this.gate.written(current, nowMs);
    this.deps.logger.debug({ probes: current.probes.length, results: current.results.length, changed }, "status reported");
    return changed ? "changed" : "reported";
  }

  /** Whether a new version of the NetworkHealth needs a round now rather than at the next interval. */
  wakesFor(health: NetworkHealth): boolean {
    return this.waiting || storedProbeTargets(health) !== this.usedTargets || this.orders.due(health) !== undefined;
  }

  /** Sleeps `delayMs`, or until the store shows something to act on. */
  private async pause(delayMs: number, signal: AbortSignal): Promise<void> {
    const { store, logger } = this.deps;
    if (!store.waitForChange) return sleep(delayMs, signal);
    if (await store.waitForChange(delayMs, signal, (health) => this.wakesFor(health))) logger.debug("woken by a change of the NetworkHealth");
  }

  /** Runs rounds until `signal` aborts; resolves after the round in flight (and the store's watch) finished. */
  async run(signal: AbortSignal): Promise<void> {
    const log = this.deps.logger;
    const backoff = new Backoff(1000, 60_000);
    let waitLogged = false;
    log.info({ node: this.config.nodeName, hostPid: this.deps.host.hostPid, version: this.config.version }, "agent starting");
    const following = this.deps.store.follow?.(signal);
    while (!signal.aborted) {
      try {
        const outcome = await this.round();
        backoff.reset();
        if (outcome === "waiting" && !waitLogged) log.info({ node: this.config.nodeName }, "waiting for the controller to create the NetworkHealth");
        waitLogged = outcome === "waiting";
        await this.pause(this.config.intervalMs, signal);
      } catch (error) {
        // A failed round backs off in full: waking early for a due order would retry it at once.
        const delay = backoff.next();
        log.warn({ error: (error as Error).message, retryInMs: delay }, "round failed");
        await sleep(delay, signal);
      }
    }
    await following;
    log.info("agent stopped");
  }
}
