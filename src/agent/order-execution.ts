/**
 * The orders side of the agent: the action results it reports (adopted from the object once, so a
 * restarted agent does not run an order twice), the outcomes of the actions this process executed,
 * and the dead-man switch that undoes an unconfirmed order — also one a dead process left behind.
 */
import type { ActionResult, NetworkHealth, ProbeTargets } from "../api/index.js";
import type { AgentConfig, AgentDeps } from "./agent-config.js";
import { DeadManSwitch } from "./checkpoint/dead-man-switch.js";
import type { RolledBack } from "./checkpoint/order-checkpoint.js";
import { collectFacts, type HostSnapshot } from "./facts.js";
import { runOrder } from "./order-runner.js";
import { appendResult, dueOrder, replaceResult, type DueOrder } from "./orders.js";
import { RecentOutcomes } from "./recent-outcomes.js";

/** Executes the due orders of one node's NetworkHealth and keeps the results to report. */
export class OrderExecution {
  /** The results the agent reports: every order that ran, by this process or an earlier one. */
  results: ActionResult[] = [];
  /** Outcomes (with revert) of the newest actions this process executed, keyed `orderId/action`. */
  readonly outcomes = new RecentOutcomes();
  private adopted = false;
  private readonly deadMan: DeadManSwitch;

  constructor(
    private readonly config: AgentConfig,
    private readonly deps: AgentDeps,
    private readonly clock: () => Date,
    private readonly timestamp: () => string,
  ) {
    this.deadMan = new DeadManSwitch(config.deadMan, deps.host, deps.logger);
  }

  /** Undoes an order a dead process left unconfirmed; runs before any API call, once per process. */
  recoverOnce(now: Date): Promise<void> {
    return this.deadMan.recoverOnce(now);
  }

  /** Why the dead-man switch cannot protect orders (reported in facts.errors), if it cannot. */
  get deadManError(): string | undefined {
    return this.deadMan.error;
  }

  /**
   * On the first object seen: takes over the results written by a previous agent process (they prove
   * which orders already ran) and records the rollbacks recovered at start. True when there were
   * rollbacks to report.
   */
  adoptOnce(health: NetworkHealth): boolean {
    if (this.adopted) return false;
    this.results = [...(health.status?.agent?.results ?? [])];
    this.adopted = true;
    const recovered = this.deadMan.takeRecovered();
    this.recordRollbacks(recovered);
    return recovered.length > 0;
  }

  /** The part of the object's order this agent has still to execute, if any. */
  due(health: NetworkHealth): DueOrder | undefined {
    return dueOrder(health.status?.remediation, this.results);
  }

  /**
   * Executes the due order, if any; `onResult` runs after each action's result was recorded (the
   * agent reports it). `recent` is a facts round taken within the last interval and before any
   * action since: the order was planned from that report or an older one, and every action reads
   * again what it changes before changing it (the snapshot only names things: the pod interface,
   * the zones, the distribution), so a second facts round first would only delay the fix.
   * Without it the facts are collected first.
   */
  async executeDue(health: NetworkHealth, targets: ProbeTargets, onResult: () => Promise<void>, recent?: HostSnapshot): Promise<void> {
    const order = this.due(health);
    if (!order) return;
    const log = this.deps.logger.child({ orderId: order.orderId });
    log.info({ actions: order.actions.map((a) => a.action), recentFacts: recent !== undefined }, "order received");
    const snapshot = recent ?? (await collectFacts(this.deps.host, this.config.podNetwork, () => this.timestamp()));
    const { host, dialer, leases } = this.deps;
    const rolled = await runOrder(order, {
      host, dialer, logger: log, clock: this.clock, snapshot, targets, ...(this.deadMan.settings ? { deadMan: this.deadMan.settings } : {}),
      ...(leases ? { nodeLease: { reader: leases, node: this.config.nodeName } } : {}),
      onOutcome: async (action, outcome) => {
        this.outcomes.set(`${order.orderId}/${action.action}`, outcome);
        this.results = appendResult(this.results, { orderId: order.orderId, action: action.action, result: outcome.result, detail: outcome.detail, time: this.timestamp() });
        log.info({ action: action.action, result: outcome.result, detail: outcome.detail }, "action finished");
        await onResult();
      },
    });
    this.recordRollbacks(rolled);
  }

  private recordRollbacks(rolled: readonly RolledBack[]): void {
    for (const r of rolled) {
      this.results = replaceResult(this.results, { orderId: r.orderId, action: r.action, result: "Failed", reason: "RolledBack", detail: r.detail, time: this.timestamp() });
      this.outcomes.delete(`${r.orderId}/${r.action}`); // undone already: its revert must not run again
    }
  }
}
