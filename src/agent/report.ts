/**
 * The agent's part of the NetworkHealth status (field manager netmedic-agent owns facts, probes and
 * agent) and when to send it: when anything but timestamps and latencies changed, or — only while
 * the agent's heartbeat Lease is not working (lease-heartbeat.ts) — when the heartbeat interval has
 * passed, so the controller can still tell a live agent from a stale one. Every NetworkHealth write
 * reaches every agent's watch; a heartbeat-only write is the one the Lease exists to avoid.
 */
import type { ActionResult, HostFacts, NetworkHealthStatus, ProbeResult } from "../api/index.js";
import { withoutEmpty } from "../core/without-empty.js";

/** What the agent reports. */
export interface AgentReport {
  facts?: HostFacts;
  probes: ProbeResult[];
  results: ActionResult[];
  version: string;
}

/** The status this manager applies (its complete intent for the fields it owns). */
export function agentStatus(report: AgentReport, heartbeatTime: string): NetworkHealthStatus {
  return withoutEmpty({
    ...(report.facts ? { facts: report.facts } : {}),
    probes: report.probes,
    agent: { heartbeatTime, version: report.version, results: report.results },
  });
}

/**
 * A fingerprint of a report without the fields that move every round (collection and probe times,
 * latencies): equal fingerprints mean nothing worth a write changed.
 */
export function reportFingerprint(report: AgentReport): string {
  const facts = report.facts ? { ...report.facts, collectedAt: undefined } : undefined;
  const probes = report.probes.map((p) => ({ ...p, time: undefined, latencyMs: undefined }));
  return JSON.stringify({ facts, probes, results: report.results, version: report.version });
}

/** Decides whether to write, given the last write. */
export class ReportGate {
  private lastFingerprint: string | undefined;
  private lastWrite = Number.NEGATIVE_INFINITY;

  constructor(private readonly heartbeatMs: number) {}

  /**
   * Whether `report` at time `nowMs` should be written: changed content, or a heartbeat due while
   * `leaseWorking` is false (no Lease, or one that cannot be written).
   */
  due(report: AgentReport, nowMs: number, leaseWorking = false): boolean {
    return this.changed(report) || (!leaseWorking && nowMs - this.lastWrite >= this.heartbeatMs);
  }

  /** Whether `report`'s content differs from the last one written (not just a heartbeat). */
  changed(report: AgentReport): boolean {
    return reportFingerprint(report) !== this.lastFingerprint;
  }

  /** Records a successful write. */
  written(report: AgentReport, nowMs: number): void {
    this.lastFingerprint = reportFingerprint(report);
    this.lastWrite = nowMs;
  }
}
