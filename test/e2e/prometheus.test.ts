// Alerting proven on a real Prometheus (issue 21): Debian's Prometheus 2.42 on loopback scrapes the
// real controller process (its /metrics, as deploy/monitoring's ServiceMonitor describes) through the
// k0s incident of test/e2e/k0s.test.ts, evaluating the shipped rules with `for:` and the scrape
// interval shortened in the test's copy only. The alerts and the dashboard's queries are read from
// Prometheus' own HTTP API.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRuleGroups, shortenedGroups } from "../../scripts/monitoring/rules.js";
import { getTestCluster } from "../support/control-plane/cluster.js";
import { removeE2EDir, type E2EEnv } from "../support/e2e/controller.js";
import { hasCondition, NetworkHealthFollower } from "../support/e2e/networkhealth.js";
import { eventually } from "../support/e2e/processes.js";
import { concreteExpr, dashboardQueries } from "../support/prometheus/dashboard.js";
import { METRICS_API, startK0sIncident, type K0sIncident } from "../support/prometheus/k0s-incident.js";
import { inputSeries } from "../support/prometheus/rule-tests.js";
import { checkSeries, parseExposition } from "../support/prometheus/scrape.js";
import { activeAlerts, instantQuery, startPrometheus, type Prometheus } from "../support/prometheus/server.js";
import { machineState } from "../lab/agent-support.js";

const STORY_MS = 90_000;
const VARIABLES = { rateInterval: "30s", job: "netmedic-metrics" };
const DEGRADED = "NetmedicNodeNetworkDegraded";

describe("e2e: the k0s incident seen by a real Prometheus — alerts fire while broken and resolve after the heal", () => {
  const cluster = getTestCluster();
  const env: E2EEnv = { kubeConfig: cluster.kubeConfig, kubeconfigPath: cluster.kubeconfigPath, dir: mkdtempSync(join(tmpdir(), "netmedic-e2e-prometheus-")) };
  let incident: K0sIncident;
  let prometheus: Prometheus;
  let follower: NetworkHealthFollower;
  let before: Record<string, unknown>;
  const states = new Set<string>();
  const degraded = () => activeAlerts(prometheus, DEGRADED, { node: incident.node });
  const evaluate = async (expr: string) => instantQuery(prometheus, concreteExpr(expr, VARIABLES));

  beforeAll(async () => {
    before = await machineState();
    incident = await startK0sIncident(env);
    follower = new NetworkHealthFollower(cluster.kubeConfig, incident.node).start();
    const dir = join(env.dir, "prometheus");
    mkdirSync(dir);
    prometheus = await startPrometheus({ dir, targets: [incident.metricsTarget], groups: shortenedGroups(loadRuleGroups(), "5s", "1s"), interval: "1s" });
  }, 180_000);

  afterAll(async () => {
    follower?.stop();
    await prometheus?.stop();
    await incident?.stop();
    removeE2EDir(env);
  }, 60_000);

  it("Prometheus scrapes the controller's /metrics: the target is up and the replica leads", async () => {
    const up = await eventually("the controller scraped", async () => (await instantQuery(prometheus, 'up{job="netmedic-metrics"} == 1'))[0], 20_000);
    expect(up.metric["instance"]).toBe(incident.metricsTarget);
    expect((await instantQuery(prometheus, "netmedic_is_leader"))[0]?.value[1]).toBe("1");
  }, 30_000);

  it(`while the worker is broken (remediation held by its opt-out), ${DEGRADED} goes pending, then fires for HostFirewall RejectingPodTraffic and IPForwarding Disabled`, async () => {
    const firing = await eventually("the worker's alerts firing", async () => {
      const alerts = await degraded();
      for (const alert of alerts) states.add(`${alert.labels["type"]}/${alert.state}`);
      return alerts.filter((a) => a.state === "firing" && ["HostFirewall", "IPForwarding"].includes(a.labels["type"] ?? "")).length === 2 && alerts;
    }, STORY_MS, 200);
    expect(states).toContain("HostFirewall/pending");
    const firewall = firing.find((a) => a.labels["type"] === "HostFirewall");
    expect(firewall?.labels).toMatchObject({ node: incident.node, reason: "RejectingPodTraffic", severity: "warning" });
    expect(firewall?.annotations).toMatchObject({
      summary: `Node ${incident.node}: HostFirewall is RejectingPodTraffic`,
      runbook_url: "docs/runbook.md#netmedicnodenetworkdegraded",
    });
    expect(firewall?.annotations["description"]).toContain(`HostFirewall=RejectingPodTraffic on node ${incident.node}`);
    expect(firing.find((a) => a.labels["type"] === "IPForwarding")?.labels["reason"]).toBe("Disabled");
    expect(hasCondition(follower.latest, "Remediating", "False", "Idle")).toBe(true);
  }, STORY_MS);

  it(`NetmedicAPIServiceUnavailable fires for ${METRICS_API} (no metrics-server runs in this layer, so it stays unavailable after the heal)`, async () => {
    const alert = await eventually("the APIService alert firing", async () =>
      (await activeAlerts(prometheus, "NetmedicAPIServiceUnavailable", { name: METRICS_API })).find((a) => a.state === "firing"), 30_000);
    expect(alert.annotations["summary"]).toBe(`APIService ${METRICS_API} is unavailable`);
  }, 40_000);

  it("the dashboard shows the broken worker: in Degraded nodes, Nodes not Ready and Nodes by condition reason", async () => {
    const byPanel = new Map(dashboardQueries().map((q) => [`${q.panel} ${q.refId}`, q.expr]));
    const rows = await evaluate(byPanel.get("Degraded nodes A") ?? "");
    expect(rows.filter((r) => r.metric["node"] === incident.node).map((r) => r.metric["type"]).sort()).toEqual(expect.arrayContaining(["HostFirewall", "IPForwarding"]));
    expect(Number((await evaluate(byPanel.get("Nodes not Ready A") ?? ""))[0]?.value[1])).toBeGreaterThanOrEqual(1);
    expect((await evaluate(byPanel.get("Nodes by condition reason A") ?? "")).map((r) => `${r.metric["type"]}/${r.metric["reason"]}`)).toContain("HostFirewall/RejectingPodTraffic");
  }, 30_000);

  it(`once the opt-out is lifted netmedic heals the worker and ${DEGRADED} resolves`, async () => {
    await incident.allowRemediation();
    await follower.waitFor("Ready=True", (h) => hasCondition(h, "Ready", "True", "Healthy") && hasCondition(h, "Remediating", "False", "Succeeded"), STORY_MS);
    await eventually("the worker's alerts resolved", async () => (await degraded()).length === 0, 30_000);
    expect(await instantQuery(prometheus, `ALERTS{alertname="${DEGRADED}", node="${incident.node}"}`)).toEqual([]);
  }, STORY_MS + 30_000);

  it("every dashboard query returns without error; the remediation, agent and controller panels have data", async () => {
    const queries = dashboardQueries();
    const results = new Map<string, Awaited<ReturnType<typeof evaluate>>>(await Promise.all(queries.map(async (q) => [`${q.panel} ${q.refId}`, await evaluate(q.expr)] as const)));
    const remediations = await eventually("the heal in Remediations by result", async () =>
      (await evaluate(queries.find((q) => q.panel === "Remediations by result")?.expr ?? "")).find((r) => r.metric["result"] === "Succeeded"), 20_000);
    expect(remediations.metric).toEqual({ result: "Succeeded" });
    const byAction = results.get("Remediations by action and result (1h) A") ?? [];
    expect(byAction.map((r) => `${r.metric["action"]}/${r.metric["result"]}`).sort()).toEqual(["EnableBridgeNetfilter/Succeeded", "EnableIPForwarding/Succeeded", "OpenHostFirewall/Succeeded"]);
    const withData = ["Nodes A", "Agent reporting A", "Nodes by remediation phase A", "Leader A", "Replicas up A", "APIService availability A",
      "Reconcile duration (p50, p99) A", "Reconciles and errors A", "API writes and rate-limit waits A", "Events A", "Controller memory A"];
    expect(withData.filter((name) => (results.get(name)?.length ?? 0) === 0)).toEqual([]);
    expect(results.size).toBe(queries.length);
  }, 60_000);

  it("the series the promtool rule tests feed have the names, label names and values of this scrape of the real controller", async () => {
    const scrape = parseExposition(await (await fetch(`http://${incident.metricsTarget}/metrics`)).text());
    const { problems, namesOnly } = checkSeries(inputSeries(), scrape);
    // This controller process runs without the node-identity webhook, which alone registers
    // netmedic_node_identity_guarded: that one series is checked against the real scrape of the
    // shipped controllers in test/real-node/k0s.test.ts.
    expect(problems.filter((p) => p !== "netmedic_node_identity_guarded is not exposed by the controller")).toEqual([]);
    // Every series the rules read has samples here, the watch restart counters (at 0) included.
    expect(namesOnly).toEqual([]);
  }, 30_000);

  it("with the controller stopped, NetmedicControllerNoLeader fires (nothing leads); the machine's own network never changed", async () => {
    expect(await incident.controller.stop()).toBe(0);
    const alert = await eventually("NoLeader firing", async () => (await activeAlerts(prometheus, "NetmedicControllerNoLeader")).find((a) => a.state === "firing"), 30_000);
    expect(alert.labels["severity"]).toBe("critical");
    await incident.worker.stop();
    expect(await machineState()).toEqual(before);
  }, 60_000);
});
