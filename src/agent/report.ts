/**
 * The agent's part of the NetworkHealth status (field manager netmedic-agent owns facts, probes and
 * agent) and when to send it: when anything but timestamps and latencies changed, or when the
 * heartbeat interval has passed, so the controller can tell a live agent from a stale one.
 */
import type { ActionResult, HostFacts, NetworkHealthStatus, ProbeResult } from "../api/index.js";

/** What the agent reports. */
export interface AgentReport {
  facts?: HostFacts;
  probes: ProbeResult[];
  results: ActionResult[];
  version: string;
}

/**
 * Drops empty-string values, recursively. A server-side apply of `""` reaches validation as null
 * on the apiserver (422 "must be of type string", seen on v1.20); an absent field means the same
 * here (e.g. podInterfaceZone: no zone).
 */
export function withoutEmptyStrings<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((item) => item !== "").map(withoutEmptyStrings) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== "").map(([k, v]) => [k, withoutEmptyStrings(v)])) as T;
  }
  return value;
}

/** The status this manager applies (its complete intent for the fields it owns). */
export function agentStatus(report: AgentReport, heartbeatTime: string): NetworkHealthStatus {
  return withoutEmptyStrings({
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

  /** Whether `report` at time `nowMs` should be written. */
  due(report: AgentReport, nowMs: number): boolean {
    return this.changed(report) || nowMs - this.lastWrite >= this.heartbeatMs;
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
