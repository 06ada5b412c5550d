/**
 * ConntrackTable: a full connection-tracking table drops every new connection the node's netfilter
 * sees ("nf_conntrack: table full, dropping packet", kubernetes #71261): Service traffic, DNS,
 * health checks. False from NEARLY_FULL_PERCENT on. Report only: kube-proxy owns nf_conntrack_max
 * (--conntrack-max-per-core) and rewrites it at start, so the fix is its configuration or the load. Pure.
 */
import type { CheckResult, NodeContext } from "./findings.js";
import { unknownCheck } from "./findings.js";

/**
 * The fill judged NearlyFull. node-exporter's mixin warns at 75 %; Ready=False is a stronger claim
 * than a warning, so the line is where a burst (a rollout, a reconnect storm) can fill the rest:
 * at 90 % a table of kube-proxy's default size (32768 per core) has a few thousand entries left.
 */
export const NEARLY_FULL_PERCENT = 90;

const verdict = (status: CheckResult["status"], reason: string, message: string, evidence: string[]): CheckResult =>
  ({ type: "ConntrackTable", status, reason, message, evidence });

/** ConntrackTable: True below NEARLY_FULL_PERCENT, False from it on, Unknown without facts. */
export function checkConntrackTable(context: NodeContext): CheckResult {
  const facts = context.facts?.conntrack;
  if (!facts) {
    return unknownCheck("ConntrackTable", context.facts ? "the conntrack table was not reported (facts.errors says why; agents older than this check report none)" : "no host facts reported by the netmedic agent on this node");
  }
  const evidence = [`nf_conntrack_count is ${facts.usedPercent >= 100 ? "at" : `≥ ${facts.usedPercent} % of`} nf_conntrack_max ${facts.max}`];
  if (facts.usedPercent < NEARLY_FULL_PERCENT) return verdict("True", "Room", `the conntrack table is below ${NEARLY_FULL_PERCENT} % full`, evidence);
  return verdict("False", "NearlyFull", `the conntrack table is ≥ ${facts.usedPercent} % full (max ${facts.max}): new connections are dropped once it fills; raise kube-proxy's conntrack.maxPerCore or find what opens so many connections`, evidence);
}
