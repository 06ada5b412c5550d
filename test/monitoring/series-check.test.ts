/**
 * The check that ties the promtool rule tests to the controller's real series
 * (test/e2e/prometheus.test.ts runs it on a scrape of the controller process): shown here to catch
 * what it exists for — a renamed metric, a renamed label, a reason the API does not have.
 */
import { describe, expect, it } from "@jest/globals";
import { parseSeries } from "../support/prometheus/rule-tests.js";
import { checkSeries, parseExposition } from "../support/prometheus/scrape.js";

const SCRAPE = parseExposition([
  "# HELP netmedic_networkhealth_condition 1 for each current condition of each NetworkHealth",
  "# TYPE netmedic_networkhealth_condition gauge",
  'netmedic_networkhealth_condition{node="w1",type="HostFirewall",status="False",reason="RejectingPodTraffic"} 1',
  "# TYPE netmedic_watch_restarts_total counter",
  "# TYPE netmedic_is_leader gauge",
  "netmedic_is_leader 1",
  "",
].join("\n"));

const check = (...series: string[]) => checkSeries(series.map(parseSeries), SCRAPE);

describe("rule-test series against a scrape", () => {
  it("accepts the controller's own shapes; job and instance are the scrape's, a counter without samples is checked by name", () => {
    expect(check('netmedic_networkhealth_condition{node="w2",type="IPForwarding",status="False",reason="Disabled"}',
      'netmedic_is_leader{job="netmedic",instance="10.0.0.1:9464"}', 'netmedic_watch_restarts_total{resource="nodes"}'))
      .toEqual({ problems: [], namesOnly: ["netmedic_watch_restarts_total"] });
  });

  it("flags a metric the controller does not expose, a label it does not have, and values outside the API", () => {
    expect(check('netmedic_nh_condition{node="w1"}').problems).toEqual(["netmedic_nh_condition is not exposed by the controller"]);
    expect(check('netmedic_networkhealth_condition{nodename="w1",type="Ready",status="True",reason="Healthy"}').problems)
      .toEqual(["netmedic_networkhealth_condition{nodename,reason,status,type} but the controller exposes {node,reason,status,type}"]);
    expect(check('netmedic_networkhealth_condition{node="w1",type="HostFirewall",status="Down",reason="Closed"}').problems)
      .toEqual(["netmedic_networkhealth_condition: HostFirewall has no reason Closed", "netmedic_networkhealth_condition: status Down"]);
  });
});
