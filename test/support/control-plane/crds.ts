/** Applies every CRD in crds/ to a cluster and waits until each is Established. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ApiextensionsV1Api, type KubeConfig, type V1CustomResourceDefinition } from "@kubernetes/client-node";

/** Creates (or keeps) each CRD of crds/*.yaml and resolves when all are Established. */
export async function applyCrds(kubeConfig: KubeConfig, dir = "crds"): Promise<void> {
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const files = readdirSync(dir).filter((file) => file.endsWith(".yaml"));
  for (const file of files) {
    const crd = parse(readFileSync(join(dir, file), "utf8")) as V1CustomResourceDefinition;
    await api.createCustomResourceDefinition({ body: crd }).catch((error: { code?: number }) => {
      if (error.code !== 409) throw error;
    });
    await waitEstablished(api, crd.metadata?.name ?? "");
  }
}

async function waitEstablished(api: ApiextensionsV1Api, name: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const crd = await api.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`CRD ${name} not Established`);
}
