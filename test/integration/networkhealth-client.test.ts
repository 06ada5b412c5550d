/**
 * The SSA status client against the real apiserver: two field managers own disjoint fields, and
 * empty strings (which 1.20's server-side apply turns into null and rejects) never reach the wire.
 */
import { describe, expect, it } from "@jest/globals";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { FIELD_MANAGER_AGENT, FIELD_MANAGER_CONTROLLER } from "../../src/api/index.js";

const cluster = getTestCluster();
const controller = new NetworkHealthClient(cluster.kubeConfig, FIELD_MANAGER_CONTROLLER);
const agent = new NetworkHealthClient(cluster.kubeConfig, FIELD_MANAGER_AGENT);

async function fresh(): Promise<string> {
  const name = uniqueName("nh");
  await controller.apply({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name } });
  return name;
}

describe("NetworkHealthClient.applyStatus", () => {
  it("accepts empty strings by leaving them out (the raw server would answer 422)", async () => {
    const name = await fresh();
    const stored = await controller.applyStatus(name, {
      diagnosis: { summary: "worker-1: healthy", rootCause: "" },
      conditions: [{ type: "Ready", status: "True", reason: "Healthy", message: "all checks pass", lastTransitionTime: "2025-05-05T16:50:00Z" }],
    });
    expect(stored.status?.diagnosis).toEqual({ summary: "worker-1: healthy" });
  });

  it("controller and agent each own their fields: neither apply removes the other's", async () => {
    const name = await fresh();
    await agent.applyStatus(name, { facts: { collectedAt: "2025-05-05T16:49:50Z", distribution: "k0s" }, agent: { heartbeatTime: "2025-05-05T16:49:50Z" } });
    await controller.applyStatus(name, { diagnosis: { summary: "s1" } });
    await agent.applyStatus(name, { facts: { collectedAt: "2025-05-05T16:50:50Z", distribution: "k0s" }, agent: { heartbeatTime: "2025-05-05T16:50:50Z" } });
    const stored = await controller.applyStatus(name, { diagnosis: { summary: "s2" } });
    expect(stored.status?.facts?.collectedAt).toBe("2025-05-05T16:50:50Z");
    expect(stored.status?.diagnosis?.summary).toBe("s2");
    const managers = (stored.metadata as { managedFields?: Array<{ manager: string; subresource?: string }> }).managedFields?.map((f) => f.manager);
    expect(managers).toEqual(expect.arrayContaining([FIELD_MANAGER_CONTROLLER, FIELD_MANAGER_AGENT]));
  });

  it("get returns undefined for a missing object", async () => {
    expect(await controller.get(uniqueName("missing"))).toBeUndefined();
  });
});
