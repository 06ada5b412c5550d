/**
 * The controller's Prometheus metrics, in its own Registry (two controllers in one test process
 * must not share series). Condition and APIService gauges are computed at scrape time from the
 * caches, so every replica — leader or not — exports the current truth and a deleted node's series
 * disappear with it, without bookkeeping. The per-node condition series (eight per node: 40,000
 * label sets, ~8 MB at 5,000 nodes) exist only while a scrape renders them.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ACTION_ORDER, type NetworkHealth } from "../api/index.js";
import type { APIServiceView } from "../core/index.js";

/** The remediation results exported from the start (others, such as Skipped, appear when they happen). */
const COUNTED_RESULTS = ["Succeeded", "Failed"] as const;
/** The heartbeat signals the router can end without a reconcile (as watch_restarts names the resources). */
const HEARTBEAT_RESOURCES = ["networkhealths", "agent-leases"] as const;

/** Where the scrape-time gauges read from. */
export interface MetricSources {
  networkHealths: () => readonly NetworkHealth[];
  apiServices: () => readonly APIServiceView[];
  /** Seconds API requests have waited for the client-side rate limit, in total. */
  rateLimitWaitSeconds?: () => number;
  /** Events queued or in flight. */
  eventBacklog?: () => number;
}

/** All controller metrics; names are part of the alerting contract (deploy/monitoring). */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly remediations: Counter<"action" | "result">;
  readonly reconcileDuration: Histogram<"result">;
  readonly reconcileErrors: Counter<"class">;
  readonly watchRestarts: Counter<"resource">;
  readonly isLeader: Gauge;
  readonly statusWrites: Counter;
  readonly configReloadFailures: Counter;
  readonly eventWriteFailures: Counter;
  readonly eventsDropped: Counter;
  readonly heartbeatsSkipped: Counter<"resource">;
  private readonly conditions: Gauge<"node" | "type" | "status" | "reason">;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.conditions = scrapeTimeSeries(sources, registers);
    this.remediations = new Counter({ name: "netmedic_remediations_total", help: "Remediation records by action and result", labelNames: ["action", "result"], registers });
    // Exported at 0 from the start: increase() and rate() miss the first run of an action when its
    // series is born at 1 (the failing-remediation alert and the dashboard count with increase()).
    for (const action of ACTION_ORDER) for (const result of COUNTED_RESULTS) this.remediations.inc({ action, result }, 0);
    this.reconcileDuration = new Histogram({
      name: "netmedic_reconcile_duration_seconds", help: "Duration of one node reconcile", labelNames: ["result"], registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.reconcileErrors = new Counter({ name: "netmedic_reconcile_errors_total", help: "Failed reconciles by class (transient, terminal)", labelNames: ["class"], registers });
    this.watchRestarts = new Counter({ name: "netmedic_watch_restarts_total", help: "Informer watch restarts after errors or silence", labelNames: ["resource"], registers });
    this.isLeader = new Gauge({ name: "netmedic_is_leader", help: "1 while this replica holds the leader Lease", registers });
    this.statusWrites = new Counter({ name: "netmedic_status_writes_total", help: "NetworkHealth status applies sent by this replica", registers });
    this.configReloadFailures = new Counter({ name: "netmedic_config_reload_failures_total", help: "Config updates rejected (the last good config stays)", registers });
    this.eventWriteFailures = new Counter({ name: "netmedic_event_write_failures_total", help: "Events that could not be written", registers });
    this.heartbeatsSkipped = new Counter({
      name: "netmedic_heartbeat_updates_skipped_total", labelNames: ["resource"], registers,
      help: "Agent heartbeats ended without a reconcile: NetworkHealth updates that only moved the heartbeat (resource=networkhealths), Lease renewals of Reporting nodes (resource=agent-leases)",
    });
    for (const resource of HEARTBEAT_RESOURCES) this.heartbeatsSkipped.inc({ resource }, 0);
    this.eventsDropped = new Counter({ name: "netmedic_events_dropped_total", help: "Events dropped because the send backlog was full", registers });
  }

  /** The content type of what `scrape` renders. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The registry's text exposition (what /metrics serves). The condition series are dropped once
   * rendered: they are rebuilt from the cache at every scrape, and keeping them between scrapes
   * held a label set per node and condition for nothing.
   */
  async scrape(): Promise<string> {
    try {
      return await this.registry.metrics();
    } finally {
      this.conditions.reset();
    }
  }
}

/**
 * Registers the series computed at scrape time from `sources`: conditions and APIService
 * availability from the caches, the Event backlog and the rate limiter's total wait. Returns the
 * condition gauge, which ControllerMetrics.scrape empties after each scrape.
 */
function scrapeTimeSeries(sources: MetricSources, registers: Registry[]): Gauge<"node" | "type" | "status" | "reason"> {
  const conditions = new Gauge({
    name: "netmedic_networkhealth_condition", help: "1 for each current condition of each NetworkHealth",
    labelNames: ["node", "type", "status", "reason"], registers,
    collect() {
      this.reset();
      for (const health of sources.networkHealths()) {
        for (const condition of health.status?.conditions ?? []) {
          this.set({ node: health.metadata.name ?? "", type: condition.type, status: condition.status, reason: condition.reason }, 1);
        }
      }
    },
  });
  new Gauge({
    name: "netmedic_apiservice_available", help: "1 when the APIService's Available condition is True, else 0",
    labelNames: ["name"], registers,
    collect() {
      this.reset();
      for (const service of sources.apiServices()) this.set({ name: service.name }, service.available === "True" ? 1 : 0);
    },
  });
  new Gauge({
    name: "netmedic_event_backlog", help: "Events queued or being sent (they leave in the background)", registers,
    collect() {
      this.set(sources.eventBacklog?.() ?? 0);
    },
  });
  new Counter({
    name: "netmedic_api_rate_limit_wait_seconds_total", help: "Time API requests waited for the client-side rate limit (reconcile.apiQPS)", registers,
    collect() {
      this.reset();
      this.inc(sources.rateLimitWaitSeconds?.() ?? 0);
    },
  });
  return conditions;
}
