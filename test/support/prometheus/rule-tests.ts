/**
 * The promtool unit tests of the alerting rules (test/monitoring/rules/*.yaml), read back so Jest
 * can check what they cover and which series they feed the rules.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../../../scripts/monitoring/rules.js";

/** Where the promtool unit tests live. */
export const RULE_TESTS_DIR = join(REPO_ROOT, "test/monitoring/rules");

interface AlertCheck {
  eval_time: string;
  alertname: string;
  exp_alerts: unknown[];
}

interface ExprCheck {
  expr: string;
  eval_time: string;
  exp_samples: Array<{ labels: string }>;
}

/** One `tests:` entry of a promtool test file. */
export interface RuleTestCase {
  file: string;
  input_series: Array<{ series: string; values: string }>;
  alert_rule_test?: AlertCheck[];
  promql_expr_test?: ExprCheck[];
}

/** Every test case of every file. */
export function loadRuleTests(): RuleTestCase[] {
  return readdirSync(RULE_TESTS_DIR).filter((name) => name.endsWith(".yaml")).sort().flatMap((file) => {
    const doc = parse(readFileSync(join(RULE_TESTS_DIR, file), "utf8")) as { tests: Omit<RuleTestCase, "file">[] };
    return doc.tests.map((test) => ({ ...test, file }));
  });
}

/** Minutes of a promtool duration such as `15m` or `2h`. */
export function minutes(duration: string): number {
  const match = /^(\d+)([mh])$/.exec(duration);
  if (!match) throw new Error(`unexpected duration ${duration}`);
  return Number(match[1]) * (match[2] === "h" ? 60 : 1);
}

/** What one test case shows of an alert: the times it is pending, firing, and silent. */
export interface AlertStory {
  pending: number[];
  firing: number[];
  silent: number[];
}

/** The story each test case tells of `alert`. */
export function alertStories(tests: RuleTestCase[], alert: string): AlertStory[] {
  return tests.map((test) => {
    const checks = (test.alert_rule_test ?? []).filter((check) => check.alertname === alert);
    const pending = (test.promql_expr_test ?? []).filter((check) => check.exp_samples.some((sample) =>
      sample.labels.includes(`alertname="${alert}"`) && sample.labels.includes('alertstate="pending"')));
    return {
      pending: pending.map((check) => minutes(check.eval_time)),
      firing: checks.filter((check) => check.exp_alerts.length > 0).map((check) => minutes(check.eval_time)),
      silent: checks.filter((check) => check.exp_alerts.length === 0).map((check) => minutes(check.eval_time)),
    };
  });
}

/** A series as `name{label="value",…}` reads: its metric name and labels. */
export interface SeriesShape {
  name: string;
  labels: Record<string, string>;
}

/** Parses `name{a="x",b="y"}` (the exposition format's and promtool's series notation). */
export function parseSeries(text: string): SeriesShape {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$/.exec(text.trim());
  if (!match) throw new Error(`not a series: ${text}`);
  const labels: Record<string, string> = {};
  for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] ?? ""] = pair[2] ?? "";
  return { name: match[1] ?? "", labels };
}

/** Every input series the rule tests feed the rules. */
export function inputSeries(tests: RuleTestCase[] = loadRuleTests()): SeriesShape[] {
  return tests.flatMap((test) => test.input_series.map((input) => parseSeries(input.series)));
}
