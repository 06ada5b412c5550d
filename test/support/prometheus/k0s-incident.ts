/**
 * The k0s incident of test/e2e/k0s.test.ts, set up for watching it from Prometheus: the lab worker
 * broken like the k0s worker, its Node opted out of remediation (so the alert has time to fire
 * before netmedic heals it; lifting the opt-out lets the heal happen), metrics-server's APIService
 * without endpoints, and the controller process with its /metrics port.
 */
import { ApiregistrationV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { REMEDIATION_ANNOTATION } from "../../../src/api/index.js";
import { startLab, type Lab } from "../lab/index.js";
import { deleteObjects, e2eConfig, startControllerProcess, type E2EEnv } from "../e2e/controller.js";
import { startK0sWorker, type K0sWorker } from "../e2e/k0s-worker.js";
import type { RunningProcess } from "../e2e/processes.js";
import { uniqueName } from "../control-plane/cluster.js";

/** The aggregated API the incident breaks. */
export const METRICS_API = "v1beta1.metrics.k8s.io";

/** A running incident and how to end it. */
export interface K0sIncident {
  node: string;
  lab: Lab;
  worker: K0sWorker;
  controller: RunningProcess;
  /** The controller's `host:port` for /metrics. */
  metricsTarget: string;
  /** Removes the Node's opt-out annotation: netmedic may heal it now. */
  allowRemediation(): Promise<void>;
  stop(): Promise<void>;
}

async function setOptOut(env: E2EEnv, node: string, value: string | null): Promise<void> {
  await env.kubeConfig.makeApiClient(CoreV1Api).patchNode({ name: node, body: { metadata: { annotations: { [REMEDIATION_ANNOTATION]: value } } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
}

async function createMetricsAPIService(env: E2EEnv): Promise<void> {
  await env.kubeConfig.makeApiClient(CoreV1Api).createNamespacedService({ namespace: "kube-system", body: { metadata: { name: "metrics-server" }, spec: { ports: [{ name: "https", port: 443 }] } } });
  await env.kubeConfig.makeApiClient(ApiregistrationV1Api).createAPIService({ body: { metadata: { name: METRICS_API }, spec: {
    group: "metrics.k8s.io", version: "v1beta1", groupPriorityMinimum: 100, versionPriority: 100, insecureSkipTLSVerify: true,
    service: { namespace: "kube-system", name: "metrics-server", port: 443 },
  } } });
}

async function deleteMetricsAPIService(env: E2EEnv): Promise<void> {
  await env.kubeConfig.makeApiClient(ApiregistrationV1Api).deleteAPIService({ name: METRICS_API }).catch(() => undefined);
  await env.kubeConfig.makeApiClient(CoreV1Api).deleteNamespacedService({ name: "metrics-server", namespace: "kube-system" }).catch(() => undefined);
}

/** The port the controller logged in its "controller started" line. */
function metricsPort(controller: RunningProcess): number {
  const line = controller.output().split("\n").find((l) => l.includes('"msg":"controller started"'));
  const port = /"port":(\d+)/.exec(line ?? "")?.[1];
  if (!port) throw new Error(`controller logged no port: ${controller.output().slice(-400)}`);
  return Number(port);
}

/** Starts the incident: broken lab worker (opted out), the APIService, and the controller. */
export async function startK0sIncident(env: E2EEnv): Promise<K0sIncident> {
  const node = uniqueName("k0s-worker");
  const lab = await startLab({ ipForward: 0, bridgeNfCallIptables: 0 });
  let worker: K0sWorker | undefined;
  let controller: RunningProcess | undefined;
  const stop = async () => {
    await controller?.stop();
    await worker?.stop();
    await deleteMetricsAPIService(env);
    await deleteObjects(env.kubeConfig, [node], worker ? [worker.pod] : []).catch(() => undefined);
    await lab.stop();
  };
  try {
    // The CNI's own bridge forwards into firewalld's reject while ip_forward reads 0 (docs/architecture.md §8.3).
    const bridge = await lab.execIn("worker", ["sysctl", "-w", `net.ipv4.conf.${lab.addresses.bridge}.forwarding=1`]);
    if (bridge.code !== 0) throw new Error(`bridge forwarding: ${bridge.stderr}`);
    worker = await startK0sWorker(env, lab, node);
    await setOptOut(env, node, "disabled");
    await createMetricsAPIService(env);
    controller = await startControllerProcess(env, uniqueName("netmedic-e2e"), e2eConfig());
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    node, lab, worker, controller, metricsTarget: `127.0.0.1:${metricsPort(controller)}`,
    allowRemediation: () => setOptOut(env, node, null),
    stop,
  };
}
