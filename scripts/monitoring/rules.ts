/**
 * The alerting rules as Prometheus itself reads them: the `spec` of deploy/monitoring's
 * PrometheusRule is a rule file's `groups`. Used by scripts/monitoring/check-rules.ts and the tests,
 * so CI, a developer and the e2e all evaluate exactly what ships.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { parse, stringify } from "yaml";

/** The repository root (this file is scripts/monitoring/rules.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The shipped PrometheusRule. */
export const PROMETHEUS_RULE = join(REPO_ROOT, "deploy/monitoring/prometheusrule.yaml");

/** One alerting rule of a group (recording rules have `record` instead of `alert`). */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A rule group as a rule file holds it. */
export interface RuleGroup {
  name: string;
  interval?: string;
  rules: AlertRule[];
}

/** The rule groups of the PrometheusRule at `path`; throws when it is not one. */
export function loadRuleGroups(path = PROMETHEUS_RULE): RuleGroup[] {
  const doc = parse(readFileSync(path, "utf8")) as { kind?: string; spec?: { groups?: RuleGroup[] } };
  if (doc.kind !== "PrometheusRule" || !Array.isArray(doc.spec?.groups)) throw new Error(`${path}: not a PrometheusRule with spec.groups`);
  return doc.spec.groups;
}

/** Every alerting rule, in file order. */
export function alertRules(groups: RuleGroup[] = loadRuleGroups()): AlertRule[] {
  return groups.flatMap((group) => group.rules);
}

/**
 * A copy of the groups for a test that cannot wait minutes: each `for:` becomes `forDuration` and
 * each group is evaluated every `interval`. The shipped file is never changed.
 */
export function shortenedGroups(groups: RuleGroup[], forDuration: string, interval: string): RuleGroup[] {
  return groups.map((group) => ({
    ...group, interval,
    rules: group.rules.map((rule) => (rule.for === undefined ? { ...rule } : { ...rule, for: forDuration })),
  }));
}

/** Writes a Prometheus rule file holding `groups` to `path`. */
export function writeRuleFile(path: string, groups: RuleGroup[]): void {
  writeFileSync(path, stringify({ groups }));
}
