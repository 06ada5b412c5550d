/**
 * The shipped alerting rules under promtool (Debian's prometheus 2.42, provisioned by
 * scripts/monitoring/install.sh): `promtool check rules` on the rules extracted from the
 * PrometheusRule, `promtool test rules` on each alert's unit tests, and what those tests must show:
 * every alert pending (when it has a `for:`), firing and resolved, and a healthy fleet silent.
 * Also the labels and annotations users route on, and the runbook sections they point at.
 * The series the tests feed are checked against a scrape of the real controller in
 * test/e2e/prometheus.test.ts.
 */
import { describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PROMETHEUS_RULE, REPO_ROOT, alertRules } from "../../scripts/monitoring/rules.js";
import { alertStories, loadRuleTests } from "../support/prometheus/rule-tests.js";
import { runbookAnchors } from "../support/prometheus/runbook.js";

const rules = alertRules();
const tests = loadRuleTests();

/** Runs scripts/monitoring/check-rules.ts (what `npm run check:rules` runs) on `ruleFile`. */
function checkRules(ruleFile = PROMETHEUS_RULE): { status: number | null; output: string } {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const result = spawnSync(process.execPath, ["--import", tsx, join(REPO_ROOT, "scripts/monitoring/check-rules.ts"), ruleFile], { encoding: "utf8", cwd: REPO_ROOT });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Names `{{ $labels.x }}` in a template refers to. */
const templateLabels = (text = "") => [...text.matchAll(/\$labels\.([a-z_]+)/g)].map((m) => m[1]);

describe("alerting rules under promtool", () => {
  it("promtool checks the extracted rules and every unit test passes", () => {
    const { status, output } = checkRules();
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(output).not.toContain("FAILED");
    const files = new Set(tests.map((t) => t.file));
    expect(output.match(/^ {2}SUCCESS$/gm)).toHaveLength(files.size);
    expect(status).toBe(0);
  }, 60_000);

  it("the unit tests bite: a renamed metric in the rules makes them fail", () => {
    const dir = mkdtempSync(join(tmpdir(), "netmedic-rules-broken-"));
    try {
      const broken = join(dir, "prometheusrule.yaml");
      writeFileSync(broken, readFileSync(PROMETHEUS_RULE, "utf8").replaceAll("netmedic_networkhealth_condition", "netmedic_nh_condition"));
      const { status, output } = checkRules(broken);
      expect(output).toContain("FAILED");
      expect(output).toContain("alertname: NetmedicNodeNetworkDegraded");
      expect(status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it.each(rules.map((r) => [r.alert, r] as const))("%s is shown pending (if it has for:), firing and resolved", (alert, rule) => {
    const stories = alertStories(tests, alert);
    const told = stories.find((s) => s.firing.length > 0 && s.silent.some((t) => t > Math.max(...s.firing)));
    expect(told).toBeDefined();
    if (rule.for !== undefined) {
      expect(told?.pending.length).toBeGreaterThan(0);
      expect(Math.min(...(told?.pending ?? []))).toBeLessThan(Math.min(...(told?.firing ?? [])));
    } else {
      expect(told?.pending).toEqual([]);
    }
  });

  it("a healthy fleet raises nothing: every alert is checked silent and ALERTS stays empty throughout", () => {
    const healthy = tests.filter((t) => t.file === "healthy-fleet.yaml");
    expect(healthy).toHaveLength(1);
    for (const rule of rules) expect(alertStories(healthy, rule.alert)[0]).toMatchObject({ firing: [], pending: [] });
    expect(healthy[0]?.alert_rule_test?.map((c) => c.alertname).sort()).toEqual(rules.map((r) => r.alert).sort());
    expect(healthy[0]?.promql_expr_test?.filter((c) => c.expr === "ALERTS" && c.exp_samples.length === 0).length).toBeGreaterThanOrEqual(5);
  });
});

describe("what users route on", () => {
  const anchors = runbookAnchors(join(REPO_ROOT, "docs/runbook.md"));

  it.each(rules.map((r) => [r.alert, r] as const))("%s has a severity, a summary and a description naming its labels, and a runbook_url", (_alert, rule) => {
    expect(["critical", "warning", "info"]).toContain(rule.labels?.["severity"]);
    const { summary, description, runbook_url: runbook } = rule.annotations ?? {};
    expect(summary).toBeTruthy();
    expect(runbook).toMatch(/^docs\/runbook\.md#[a-z0-9-]+$/);
    // The labels the alert keeps (its by-clause) that say where and why: node and reason.
    const kept = /by \(([^)]*)\)/.exec(rule.expr)?.[1]?.split(",").map((l) => l.trim()) ?? [];
    for (const label of kept.filter((l) => ["node", "reason", "type", "name", "action", "resource"].includes(l))) {
      expect(templateLabels(description)).toContain(label);
    }
  });

  it.each(rules.map((r) => [r.alert, r.annotations?.["runbook_url"] ?? ""] as const))("%s's runbook_url names a section of docs/runbook.md", (alert, url) => {
    const anchor = url.split("#")[1] ?? "";
    expect(anchors).toContain(anchor);
    expect(anchor).toBe(alert.toLowerCase());
  });

  it("the runbook has one section per alert and no other", () => {
    expect([...anchors].sort()).toEqual(rules.map((r) => r.alert.toLowerCase()).sort());
  });
});
