// maxConcurrent end to end: two k0s workers broken the same way (two labs, two agents, two probes)
// and one controller with `maxConcurrent: 1`. Both are healed, one after the other: the status
// timestamps show that the second order was issued only after the first one was confirmed.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NetworkHealth } from "../../src/api/index.js";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { startLab, type Lab } from "../support/lab/index.js";
import { deleteObjects, e2eConfig, removeE2EDir, startControllerProcess, type E2EEnv } from "../support/e2e/controller.js";
import { startK0sWorker, type K0sWorker } from "../support/e2e/k0s-worker.js";
import { hasCondition, NetworkHealthFollower } from "../support/e2e/networkhealth.js";
import type { RunningProcess } from "../support/e2e/processes.js";

const STORY_MS = 200_000;

/** When the node's order was issued and when it was confirmed (Remediating flipped back to False). */
function orderWindow(health: NetworkHealth): { issued: number; confirmed: number; results: number[] } {
  const remediating = health.status?.conditions?.find((c) => c.type === "Remediating");
  const orderId = health.status?.remediation?.orderId;
  return {
    issued: Date.parse(health.status?.remediation?.lastAttemptTime ?? ""),
    confirmed: Date.parse(remediating?.lastTransitionTime ?? ""),
    results: (health.status?.agent?.results ?? []).filter((r) => r.orderId === orderId).map((r) => Date.parse(r.time)),
  };
}

describe("e2e: two broken nodes with maxConcurrent 1 are healed one after the other", () => {
  const cluster = getTestCluster();
  const env: E2EEnv = { kubeConfig: cluster.kubeConfig, kubeconfigPath: cluster.kubeconfigPath, dir: mkdtempSync(join(tmpdir(), "netmedic-e2e-concurrency-")) };
  const names = [uniqueName("k0s-a"), uniqueName("k0s-b")];
  const labs: Lab[] = [];
  const workers: K0sWorker[] = [];
  const followers: NetworkHealthFollower[] = [];
  let controller: RunningProcess;

  beforeAll(async () => {
    for (const name of names) {
      const lab = await startLab({ ipForward: 0, bridgeNfCallIptables: 0 });
      labs.push(lab);
      expect((await lab.execIn("worker", ["sysctl", "-w", `net.ipv4.conf.${lab.addresses.bridge}.forwarding=1`])).code).toBe(0);
      workers.push(await startK0sWorker(env, lab, name));
      followers.push(new NetworkHealthFollower(cluster.kubeConfig, name).start());
    }
    controller = await startControllerProcess(env, uniqueName("netmedic-e2e"), e2eConfig({ maxConcurrent: 1 }));
  }, 240_000);

  afterAll(async () => {
    for (const follower of followers) follower.stop();
    await controller?.stop();
    for (const worker of workers) await worker.stop();
    await deleteObjects(cluster.kubeConfig, names, workers.map((w) => w.pod)).catch(() => undefined);
    for (const lab of labs) await lab.stop();
    removeE2EDir(env);
  }, 90_000);

  it("both nodes end Ready=True with Remediating Succeeded, and their orders never overlapped", async () => {
    const healed = await Promise.all(followers.map((f) => f.waitFor("Ready=True and Remediating Succeeded",
      (h) => hasCondition(h, "Ready", "True", "Healthy") && hasCondition(h, "Remediating", "False", "Succeeded"), STORY_MS)));
    const [first, second] = healed.map(orderWindow).sort((a, b) => a.issued - b.issued) as [ReturnType<typeof orderWindow>, ReturnType<typeof orderWindow>];
    for (const w of [first, second]) {
      expect(Number.isFinite(w.issued) && Number.isFinite(w.confirmed)).toBe(true);
      expect(w.confirmed).toBeGreaterThanOrEqual(w.issued);
      expect(w.results).toHaveLength(3);
    }
    // The second order was issued only once the first was confirmed, and executed after it.
    expect(second.issued).toBeGreaterThanOrEqual(first.confirmed);
    expect(Math.min(...second.results)).toBeGreaterThan(Math.max(...first.results));
    for (const health of healed) expect(health.status?.history?.map((h) => h.result)).toEqual(["Succeeded", "Succeeded", "Succeeded"]);
  }, STORY_MS + 10_000);

  it("meanwhile the node that waited said why: Blocked by maxConcurrent=1", () => {
    const waited = followers.find((f) => f.transitions.some((t) => t.health?.status?.remediation?.phase === "Blocked"));
    expect(waited).toBeDefined();
    const blocked = waited?.transitions.find((t) => t.health?.status?.remediation?.phase === "Blocked")?.health;
    expect(blocked?.status?.remediation?.message).toBe("waiting: 1 node(s) already remediating (maxConcurrent=1)");
    expect(hasCondition(blocked, "Remediating", "False", "Blocked")).toBe(true);
  });
});
