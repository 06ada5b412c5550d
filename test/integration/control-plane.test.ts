/**
 * The control-plane harness proves itself: our CRD on a real apiserver, real garbage collection,
 * the real node-lifecycle controller, real RBAC and a real 410 Gone.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from "@kubernetes/client-node";
import { asServiceAccount, getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { startControlPlane, type ControlPlane } from "../support/control-plane/control-plane.js";
import { createReadyNode, nodeReadyStatus, startHeartbeat } from "../support/control-plane/kubelet.js";
import { applyCrds } from "../support/control-plane/crds.js";

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

describe("private control plane: node lifecycle and 410 Gone", () => {
  let plane: ControlPlane;
  let kubeConfig: KubeConfig;
  beforeAll(async () => {
    plane = await startControlPlane({ nodeMonitorGracePeriodSeconds: 8, watchCache: false });
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(plane.kubeconfigPath);
  }, 60_000);
  afterAll(async () => {
    const pids = plane?.pids() ?? [];
    await plane?.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });

  it("the real node-lifecycle controller marks a Node Unknown when its heartbeats stop", async () => {
    const spec = { name: uniqueName("hb-node") };
    await createReadyNode(kubeConfig, spec);
    const heartbeat = startHeartbeat(kubeConfig, spec, 2000);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(await nodeReadyStatus(kubeConfig, spec.name)).toBe("True");
    heartbeat.stop();
    await expect(eventually(async () => (await nodeReadyStatus(kubeConfig, spec.name)) === "Unknown", 30_000)).resolves.toBe(true);
  }, 45_000);

  it("a watch from a compacted resourceVersion gets a real 410 Gone", async () => {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const name = uniqueName("cm");
    const created = await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name }, data: { n: "0" } } });
    for (let n = 1; n <= 3; n += 1) await core.replaceNamespacedConfigMap({ name, namespace: "default", body: { metadata: { name }, data: { n: String(n) } } });
    plane.compactEtcd();
    const code = await new Promise<number | undefined>((resolve, reject) => {
      void new Watch(kubeConfig).watch("/api/v1/namespaces/default/configmaps", { resourceVersion: created.metadata?.resourceVersion },
        (type, object: { code?: number }) => { if (type === "ERROR") resolve(object.code); },
        (error) => (error ? reject(error) : resolve(undefined)));
    });
    expect(code).toBe(410);
  });

  it("restartApiServer brings the same apiserver back", async () => {
    await plane.restartApiServer();
    const nodes = await kubeConfig.makeApiClient(CoreV1Api).listNode();
    expect(nodes.items.length).toBeGreaterThan(0);
  }, 30_000);
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
