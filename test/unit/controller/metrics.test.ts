import { describe, expect, it } from "@jest/globals";
import { ACTION_ORDER, type NetworkHealth } from "../../../src/api/index.js";
import { ControllerMetrics } from "../../../src/controller/metrics.js";
import { health } from "../../fixtures/cluster.js";

const condition = (type: string, status: "True" | "False", reason: string) =>
  ({ type, status, reason, message: "m", lastTransitionTime: "2026-11-23T10:00:00Z" });

/** How many label sets the condition gauge holds right now (prom-client 15 keeps them in `hashMap`). */
function heldConditionSeries(metrics: ControllerMetrics): number {
  const gauge = metrics.registry.getSingleMetric("netmedic_networkhealth_condition") as unknown as { hashMap: object };
  return Object.keys(gauge.hashMap).length;
}

describe("ControllerMetrics.scrape", () => {
  it("renders each NetworkHealth condition from the sources, then holds no condition series until the next scrape", async () => {
    let healths: NetworkHealth[] = [
      health("n1", { conditions: [condition("Ready", "True", "Healthy"), condition("IPForwarding", "True", "Enabled")] }),
      health("n2", { conditions: [condition("Ready", "False", "Remediating")] }),
    ];
    const metrics = new ControllerMetrics({ networkHealths: () => healths, apiServices: () => [] });

    const first = await metrics.scrape();
    expect(first).toContain('netmedic_networkhealth_condition{node="n1",type="Ready",status="True",reason="Healthy"} 1');
    expect(first).toContain('netmedic_networkhealth_condition{node="n1",type="IPForwarding",status="True",reason="Enabled"} 1');
    expect(first).toContain('netmedic_networkhealth_condition{node="n2",type="Ready",status="False",reason="Remediating"} 1');
    expect(heldConditionSeries(metrics)).toBe(0);

    healths = [healths[0]!];
    const second = await metrics.scrape();
    expect(second).toContain('netmedic_networkhealth_condition{node="n1",type="Ready",status="True",reason="Healthy"} 1');
    expect(second).not.toContain('node="n2"');
    expect(heldConditionSeries(metrics)).toBe(0);
    expect(metrics.contentType).toBe(metrics.registry.contentType);
  });

  it("exports every action's Succeeded and Failed remediation counts at 0 before any run, so increase() sees the first one", async () => {
    const metrics = new ControllerMetrics({ networkHealths: () => [], apiServices: () => [] });
    const text = await metrics.scrape();
    for (const action of ACTION_ORDER) {
      expect(text).toContain(`netmedic_remediations_total{action="${action}",result="Succeeded"} 0`);
      expect(text).toContain(`netmedic_remediations_total{action="${action}",result="Failed"} 0`);
    }
    metrics.remediations.inc({ action: "EnableIPForwarding", result: "Failed" });
    expect(await metrics.scrape()).toContain('netmedic_remediations_total{action="EnableIPForwarding",result="Failed"} 1');
  });
});
