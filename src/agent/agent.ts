/**
 * The node agent's loop. Each round: read the node's NetworkHealth (created by the controller with
 * the probe targets in an annotation; until then the agent waits), execute the due part of an
 * approved order, collect host facts, run the probes, and apply facts + probes + agent status with
 * server-side apply only when the content changed or the heartbeat is due. Between rounds the loop
 * sleeps its interval, or less when the store (a watch, in production) shows an order to execute,
 * the object's first appearance or new probe targets. Errors back off (capped, jittered); nothing
 * crashes the loop.
 */
import type { Logger } from "pino";
import type { ActionResult, NetworkHealth, NetworkHealthStatus, PodNetworkFacts, ProbeTargets } from "../api/index.js";
import { Backoff, sleep } from "./backoff.js";
import { collectFacts } from "./facts.js";
import type { Dialer } from "./host-dialer.js";
import type { HostExecutor } from "./host-executor.js";
import { appendResult, dueOrder, replaceResult } from "./orders.js";
import { runOrder } from "./order-runner.js";
import { DeadManSwitch } from "./checkpoint/dead-man-switch.js";
import type { RolledBack } from "./checkpoint/order-checkpoint.js";
import { planProbes, runProbes } from "./probes.js";
import { RecentOutcomes } from "./recent-outcomes.js";
import { agentStatus, ReportGate, type AgentReport } from "./report.js";
import { decodeProbeTargets, storedProbeTargets } from "../core/probe-targets.js";

/**
 * Where the agent reads its NetworkHealth and writes its status. `follow` and `waitForChange` are
 * the push side (WatchedNetworkHealthStore); a store without them is read once per interval.
 */
export interface NetworkHealthStore {
  get(name: string): Promise<NetworkHealth | undefined>;
  applyStatus(name: string, status: NetworkHealthStatus): Promise<unknown>;
  /** Keeps the store current until `signal` aborts. */
  follow?(signal: AbortSignal): Promise<void>;
  /** Sleeps up to `ms`; true as soon as a new version of the object satisfies `wanted`. */
  waitForChange?(ms: number, signal: AbortSignal, wanted: (object: NetworkHealth) => boolean): Promise<boolean>;
}

/** Agent settings (from flags). */
export interface AgentConfig {
  nodeName: string;
  intervalMs: number;
  heartbeatMs: number;
  probeTimeoutMs: number;
  /** Overrides the controller's probeEndpoint target. */
  probeEndpoint?: string;
  /** Operator-given pod interface / CIDR (override detection). */
  podNetwork: PodNetworkFacts;
  version: string;
  /**
   * The dead-man switch: the host directory of the order checkpoint and how long a fix has to be
   * confirmed. Absent: orders run without a checkpoint (tests of one action's host effect).
   */
  deadMan?: { stateDir: string; confirmTimeoutMs: number };
}

/** What the agent works with. */
export interface AgentDeps {
  store: NetworkHealthStore;
  host: HostExecutor;
  dialer: Dialer;
  logger: Logger;
  clock?: () => Date;
}

/** What one round did: "changed" = reported new content, "reported" = a heartbeat only. */
export type RoundOutcome = "waiting" | "changed" | "reported" | "unchanged";

/** A node agent. */
export class Agent {
  private results: ActionResult[] = [];
  private adopted = false;
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
  /** Outcomes (with revert) of the newest actions this process executed, keyed `orderId/action`. */
  readonly outcomes = new RecentOutcomes();
  private readonly deadMan: DeadManSwitch;

  constructor(private readonly config: AgentConfig, private readonly deps: AgentDeps) {
    this.report = { probes: [], results: [], version: config.version };
    this.gate = new ReportGate(config.heartbeatMs);
    this.clock = deps.clock ?? (() => new Date());
    this.deadMan = new DeadManSwitch(config.deadMan, deps.host, deps.logger);
  }

  private recordRollbacks(rolled: readonly RolledBack[]): void {
    for (const r of rolled) {
      this.results = replaceResult(this.results, { orderId: r.orderId, action: r.action, result: "Failed", reason: "RolledBack", detail: r.detail, time: this.timestamp() });
      this.outcomes.delete(`${r.orderId}/${r.action}`); // undone already: its revert must not run again
    }
  }

  private timestamp(): string {
    return this.clock().toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  /** One round. Throws on API errors (the loop backs off). */
  async round(): Promise<RoundOutcome> {
    // Before any API call: a node cut off by an unconfirmed change must heal itself first (§4).
    await this.deadMan.recoverOnce(this.clock());
    const health = await this.deps.store.get(this.config.nodeName);
    this.waiting = !health;
    if (!health) return "waiting";
    if (!this.adopted) {
      // Results written by a previous agent process: they prove which orders already ran.
      this.results = [...(health.status?.agent?.results ?? [])];
      this.adopted = true;
      const recovered = this.deadMan.takeRecovered();
      this.recordRollbacks(recovered);
      this.reportAfterActions ||= recovered.length > 0;
    }
    const targets = this.targetsOf(health);
    await this.executeDueOrder(health, targets);
    const snapshot = await collectFacts(this.deps.host, this.config.podNetwork, () => this.timestamp());
    const errors = [...(snapshot.facts.errors ?? []), ...(this.deadMan.error ? [this.deadMan.error] : [])];
    this.report.facts = { ...snapshot.facts, ...(errors.length ? { errors } : {}) };
    const slots = planProbes(targets, snapshot.facts.apiServer?.configured ?? [], this.config.probeEndpoint ?? targets.probeEndpoint, this.config.probeTimeoutMs);
    try {
      this.report.probes = await runProbes(this.deps.dialer, slots, this.timestamp());
    } catch (error) {
      this.deps.logger.warn({ error: (error as Error).message }, "probe round failed; keeping the previous probes");
    }
    const force = this.reportAfterActions;
    this.reportAfterActions = false;
    return this.publish(force);
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

  private async executeDueOrder(health: NetworkHealth, targets: ProbeTargets): Promise<void> {
    const order = dueOrder(health.status?.remediation, this.results);
    if (!order) return;
    const log = this.deps.logger.child({ orderId: order.orderId });
    log.info({ actions: order.actions.map((a) => a.action) }, "order received");
    const snapshot = await collectFacts(this.deps.host, this.config.podNetwork, () => this.timestamp());
    const { host, dialer } = this.deps;
    const rolled = await runOrder(order, {
      host, dialer, logger: log, clock: this.clock, snapshot, targets, ...(this.deadMan.settings ? { deadMan: this.deadMan.settings } : {}),
      onOutcome: async (action, outcome) => {
        this.outcomes.set(`${order.orderId}/${action.action}`, outcome);
        this.results = appendResult(this.results, { orderId: order.orderId, action: action.action, result: outcome.result, detail: outcome.detail, time: this.timestamp() });
        log.info({ action: action.action, result: outcome.result, detail: outcome.detail }, "action finished");
        this.reportAfterActions = true;
        await this.publish(true);
      },
    });
    this.recordRollbacks(rolled);
  }

  private async publish(force: boolean): Promise<RoundOutcome> {
    const current: AgentReport = { ...this.report, results: this.results };
    const nowMs = this.clock().getTime();
    if (!force && !this.gate.due(current, nowMs)) return "unchanged";
    const changed = this.gate.changed(current);
    await this.deps.store.applyStatus(this.config.nodeName, agentStatus(current, this.timestamp()));
    this.gate.written(current, nowMs);
    this.deps.logger.debug({ probes: current.probes.length, results: current.results.length, changed }, "status reported");
    return changed ? "changed" : "reported";
  }

  /** Whether a new version of the NetworkHealth needs a round now rather than at the next interval. */
  wakesFor(health: NetworkHealth): boolean {
    return this.waiting || storedProbeTargets(health) !== this.usedTargets || dueOrder(health.status?.remediation, this.results) !== undefined;
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
