/**
 * deploy/monitoring/grafana-dashboard.json read back: its panels and the PromQL each one runs, with
 * Grafana's variables replaced by values a test's Prometheus can evaluate.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../../scripts/monitoring/rules.js";

/** The shipped dashboard. */
export const DASHBOARD = join(REPO_ROOT, "deploy/monitoring/grafana-dashboard.json");

/** The parts of a Grafana panel the tests read. */
export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ refId: string; expr: string; datasource?: { uid: string } }>;
}

/** The parts of the dashboard the tests read. */
export interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  templating: { list: Array<{ name: string; type: string }> };
  panels: Panel[];
}

/** Parses the dashboard (throws on invalid JSON). */
export function loadDashboard(path = DASHBOARD): Dashboard {
  return JSON.parse(readFileSync(path, "utf8")) as Dashboard;
}

/** One query of one panel. */
export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

/** Every query of every panel, in order. */
export function dashboardQueries(dashboard: Dashboard = loadDashboard()): PanelQuery[] {
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((t) => ({ panel: panel.title, refId: t.refId, expr: t.expr })));
}

/** The variables the dashboard's queries may use, and what a test substitutes for each. */
export interface Variables {
  /** Grafana's `$__rate_interval` (≥ 4 scrape intervals). */
  rateInterval: string;
  /** The scrape job of the controller (the ServiceMonitor's Service name, `netmedic-metrics`). */
  job: string;
}

/** `expr` with Grafana's variables replaced; throws on a variable the tests do not know. */
export function concreteExpr(expr: string, variables: Variables): string {
  const result = expr.replaceAll("$__rate_interval", variables.rateInterval).replaceAll("$job", variables.job);
  if (result.includes("$")) throw new Error(`unknown variable in ${expr}`);
  return result;
}
