/**
 * SupervisedInformer's list against the real apiserver: the collection is read in pages (limit +
 * continue, one consistent snapshot), each page trimmed as it arrives, and the watch goes on from
 * the list's resourceVersion.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CoreV1Api, type V1ConfigMap } from "@kubernetes/client-node";
import { SupervisedInformer, type ListPage } from "../../src/k8s/supervised-informer.js";
import { withTimeout } from "../../src/k8s/request-options.js";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { eventually } from "./controller-fixtures.js";

const cluster = getTestCluster();
const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
const namespace = uniqueName("informer-pages");
const COUNT = 7;
// The namespace's own kube-root-ca.crt ConfigMap (published by the controller-manager) stays out.
const LABELS = { "netmedic.io/test": "pages" };
const SELECTOR = "netmedic.io/test=pages";

describe("SupervisedInformer lists in pages", () => {
  const pages: ListPage[] = [];
  const trimmed: string[] = [];
  let informer: SupervisedInformer<V1ConfigMap>;

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    for (let index = 0; index < COUNT; index += 1) {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `cm-${index}`, labels: LABELS }, data: { payload: "x".repeat(1000) } } });
    }
    informer = new SupervisedInformer<V1ConfigMap>({
      resource: "configmaps", kubeConfig: cluster.kubeConfig, path: `/api/v1/namespaces/${namespace}/configmaps`,
      list: (signal, page) => {
        pages.push(page);
        return core.listNamespacedConfigMap({ namespace, labelSelector: SELECTOR, ...page }, withTimeout(10_000, undefined, signal));
      },
      labelSelector: SELECTOR,
      listPageSize: 3,
      transform: (object) => {
        trimmed.push(object.metadata?.name ?? "");
        return { ...object, data: undefined };
      },
      restartDelayMs: () => 100,
    });
    await informer.start();
    await informer.waitForSync();
  }, 60_000);

  afterAll(async () => {
    await informer?.stop();
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it("reads every page of one snapshot: ceil(7 / 3) = 3 requests, the later ones with the server's continue token", () => {
    expect(pages.map((page) => page.limit)).toEqual([3, 3, 3]);
    expect(pages[0]?._continue).toBeUndefined();
    expect(pages.slice(1).every((page) => typeof page._continue === "string" && page._continue.length > 0)).toBe(true);
    expect(informer.list().map((object) => object.metadata?.name).sort()).toEqual(Array.from({ length: COUNT }, (_, index) => `cm-${index}`));
  });

  it("caches only trimmed objects, each listed object trimmed once", () => {
    expect(informer.list().every((object) => object.data === undefined)).toBe(true);
    expect(trimmed.slice(0, COUNT).sort()).toEqual(Array.from({ length: COUNT }, (_, index) => `cm-${index}`));
  });

  it("watches on from the list's resourceVersion: a new object arrives, trimmed", async () => {
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "cm-late", labels: LABELS }, data: { payload: "y" } } });
    const late = await eventually("the watched object", async () => informer.get("cm-late", namespace));
    expect(late.data).toBeUndefined();
    expect(pages).toHaveLength(3);
  }, 30_000);
});
