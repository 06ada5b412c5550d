/**
 * The control-plane harness proves itself: our CRD on a real apiserver, real garbage collection,
 * the real node-lifecycle controller and real RBAC, all on the shared plane (the replica's restart
 * and its real 410 Gone are proven in controller-faults.test.ts, which starts the run's one replica).
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { asServiceAccount, getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { createReadyNode, nodeReadyStatus, startLeaseHeartbeat, type Heartbeat } from "../support/control-plane/kubelet.js";
import { applyCrds } from "../support/control-plane/crds.js";

/** The shared plane's node-monitor grace period (upstream's default). */
const GRACE_MS = 40_000;

describe("shared control plane", () => {
  const cluster = getTestCluster();

  it("accepts every CRD in crds/ (structural, Established) and kubectl explain reads its schema", async () => {
    await applyCrds(cluster.kubeConfig);
    const crd = await cluster.kubeConfig.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: "networkhealths.netmedic.io" });
    const conditions = Object.fromEntries((crd.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conditions).toMatchObject({ Established: "True", NamesAccepted: "True" });
    expect(conditions["NonStructuralSchema"]).toBeUndefined();
    expect(readdirSync("crds").filter((f) => f.endsWith(".yaml")).length).toBeGreaterThan(0);
    const explain = await kubectlExplain(cluster.kubeconfigPath, "networkhealth.status.conditions");
    expect(explain).toMatch(/KIND:\s+NetworkHealth/);
    expect(explain).toMatch(/lastTransitionTime/);
    expect(explain).toMatch(/does not move when only reason or message\s+change/);
  });

  it("garbage-collects a NetworkHealth when its owner Node is deleted", async () => {
    const name = uniqueName("gc-node");
    const node = await createReadyNode(cluster.kubeConfig, { name });
    const custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
    const owner = { apiVersion: "v1", kind: "Node", name, uid: node.metadata?.uid ?? "", controller: true, blockOwnerDeletion: true };
    await custom.createClusterCustomObject({
      group: "netmedic.io", version: "v1alpha1", plural: "networkhealths",
      body: { apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name, ownerReferences: [owner] }, spec: {} },
    });
    await cluster.kubeConfig.makeApiClient(CoreV1Api).deleteNode({ name });
    await expect(eventually(async () => {
      await custom.getClusterCustomObject({ group: "netmedic.io", version: "v1alpha1", plural: "networkhealths", name });
      return false;
    }, 20_000)).resolves.toBe("gone");
  });

  it("a ServiceAccount without RBAC is refused (403)", async () => {
    const outsider = await asServiceAccount(cluster.kubeConfig, uniqueName("rbac"), "nobody");
    await expect(outsider.makeApiClient(CoreV1Api).listNode()).rejects.toMatchObject({ code: 403 });
  });
});

describe("shared control plane: node lifecycle (upstream 40 s grace)", () => {
  const cluster = getTestCluster();
  const name = uniqueName("hb-node");
  let heartbeat: Heartbeat | undefined;
  afterAll(async () => {
    heartbeat?.stop();
    await cluster.kubeConfig.makeApiClient(CoreV1Api).deleteNode({ name }).catch(() => undefined);
  });

  it("a Lease-only heartbeat keeps a Node Ready past the grace; when it stops, the real node-lifecycle controller marks it Unknown", async () => {
    const kubeConfig = cluster.kubeConfig;
    await createReadyNode(kubeConfig, { name });
    const createdAt = Date.now();
    heartbeat = startLeaseHeartbeat(kubeConfig, name);
    // Its status was posted once, at creation: only the Lease renewals can keep it Ready this long.
    await new Promise((resolve) => setTimeout(resolve, createdAt + GRACE_MS + 6000 - Date.now()));
    expect(heartbeat.lastError()).toBeUndefined();
    expect(await nodeReadyStatus(kubeConfig, name)).toBe("True");
    heartbeat.stop();
    await expect(eventually(async () => (await nodeReadyStatus(kubeConfig, name)) === "Unknown", GRACE_MS + 30_000)).resolves.toBe(true);
  }, 2 * GRACE_MS + 50_000);
});

/** `kubectl explain`, retried briefly: the apiserver publishes a new CRD's OpenAPI asynchronously. */
async function kubectlExplain(kubeconfig: string, field: string): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return execFileSync("kubectl", ["--kubeconfig", kubeconfig, "explain", field], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Polls `check` until it returns true ("gone" when it throws 404) or the time is up. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean | "gone"> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return true;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return "gone";
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}
