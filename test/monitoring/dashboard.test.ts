/**
 * The Grafana dashboard (deploy/monitoring/grafana-dashboard.json): valid JSON with a layout Grafana
 * can place, the four views issue 21 asks for, and every PromQL expression evaluated without error
 * by a real Prometheus (here one with no targets; test/e2e/prometheus.test.ts evaluates them again
 * on the controller's series through the k0s incident, where they must return data).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { concreteExpr, dashboardQueries, loadDashboard, type Panel } from "../support/prometheus/dashboard.js";
import { startPrometheus, type Prometheus } from "../support/prometheus/server.js";

const dashboard = loadDashboard();
const queries = dashboardQueries(dashboard);
const VARIABLES = { rateInterval: "2m", job: "netmedic-metrics" };

const overlaps = (a: Panel, b: Panel) => a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w
  && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;

describe("Grafana dashboard", () => {
  it("is a dashboard: title, uid, schema version, a Prometheus datasource variable and the job variable", () => {
    expect(dashboard).toMatchObject({ uid: "netmedic-fleet", title: expect.stringContaining("netmedic") });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(30);
    expect(dashboard.templating.list.map((v) => `${v.name}:${v.type}`)).toEqual(["datasource:datasource", "job:query"]);
  });

  it("has unique panel ids, fits the 24-column grid and no two panels overlap", () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
    const pairs = dashboard.panels.flatMap((a, i) => dashboard.panels.slice(i + 1).filter((b) => overlaps(a, b)).map((b) => `${a.title} / ${b.title}`));
    expect(pairs).toEqual([]);
  });

  it("every panel but the rows queries the datasource variable", () => {
    for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
      expect(panel.datasource?.uid).toBe("${datasource}");
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.expr).toBeTruthy();
    }
  });

  it("shows nodes by condition reason, remediations by result, agent reporting and controller health", () => {
    const titles = dashboard.panels.map((p) => p.title);
    expect(titles).toEqual(expect.arrayContaining(["Nodes by condition reason", "Remediations by result", "Agent reporting", "Leader", "Reconcile duration (p50, p99)"]));
    const rows = dashboard.panels.filter((p) => p.type === "row").map((p) => p.title);
    expect(rows).toEqual(["Fleet", "Remediation", "Agents", "Controller"]);
  });

  describe("on a real Prometheus", () => {
    const dir = mkdtempSync(join(tmpdir(), "netmedic-dashboard-"));
    let prometheus: Prometheus;

    beforeAll(async () => {
      prometheus = await startPrometheus({ dir, targets: [], groups: [], interval: "1s" });
    }, 60_000);

    afterAll(async () => {
      expect(await prometheus?.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it.each(queries.map((q) => [`${q.panel} ${q.refId}`, q.expr] as const))("%s evaluates without error", async (_name, expr) => {
      const data = await prometheus.api<{ resultType: string }>("query", { query: concreteExpr(expr, VARIABLES) });
      expect(["vector", "scalar"]).toContain(data.resultType);
    });

    it("the check bites: Prometheus rejects a broken expression", async () => {
      await expect(prometheus.api("query", { query: "sum by (node (netmedic_is_leader)" })).rejects.toThrow(/parse error/);
    });
  });
});
