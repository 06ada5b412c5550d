/**
 * `netmedic controller` as a real process for the e2e tests: its own namespace (Lease), a config
 * file with short intervals, the admin kubeconfig, metrics on a free loopback port.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { netmedicArgv, startProcess, waitForOutput, type RunningProcess } from "./processes.js";

/** Where the e2e components run: the cluster, its kubeconfig file and a directory for logs and files. */
export interface E2EEnv {
  kubeConfig: KubeConfig;
  kubeconfigPath: string;
  dir: string;
}

/**
 * Removes an e2e test's directory (process logs, config files) at teardown, after its processes
 * stopped; `NETMEDIC_E2E_KEEP=1` keeps it for reading the logs after a failure.
 */
export function removeE2EDir(env: E2EEnv): void {
  if (process.env["NETMEDIC_E2E_KEEP"] === "1") return;
  rmSync(env.dir, { recursive: true, force: true });
}

/**
 * The controller config of the e2e tests: every interval short (resync 10 s, order timeout 60 s,
 * no cooldown, agent reports stale after 30 s), with `remediation` settings added or overridden
 * (e.g. `{ mode: "Observe" }`, `{ maxConcurrent: 1 }`).
 */
export function e2eConfig(remediation: Record<string, string | number> = {}): string {
  const settings = { cooldownSeconds: 0, orderTimeoutSeconds: 60, staleAfterSeconds: 30, ...remediation };
  return [
    "remediation:",
    ...Object.entries(settings).map(([key, value]) => `  ${key}: ${value}`),
    "resyncSeconds: 10",
    "konnectivity: {logTtlSeconds: 5}",
    "",
  ].join("\n");
}

/** Creates namespace `name` (409 is fine). */
export async function ensureNamespace(kubeConfig: KubeConfig, name: string): Promise<void> {
  await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } }).catch((error: unknown) => {
    if ((error as { code?: number }).code !== 409) throw error;
  });
}

/**
 * Starts `netmedic controller --kubeconfig … --namespace <namespace> --config <file>` with fast
 * leader election, and waits until it leads (its first reconcile can happen at once).
 */
export async function startControllerProcess(env: E2EEnv, namespace: string, config: string, name = "controller"): Promise<RunningProcess> {
  await ensureNamespace(env.kubeConfig, namespace);
  const configPath = join(env.dir, `${name}-config.yaml`);
  writeFileSync(configPath, config);
  const argv = netmedicArgv("controller", "--kubeconfig", env.kubeconfigPath, "--namespace", namespace, "--config", configPath,
    "--listen", "127.0.0.1:0", "--lease-duration", "6s", "--renew-deadline", "4s", "--retry-period", "1s", "--log-level", "debug");
  const proc = startProcess(name, argv, env.dir);
  await waitForOutput(proc, '"msg":"caches synced"', 60_000);
  return proc;
}

/** Deletes the given Nodes and kube-system Pods, ignoring the ones already gone. */
export async function deleteObjects(kubeConfig: KubeConfig, nodes: string[], pods: string[] = []): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const ignore = (error: unknown): void => {
    if ((error as { code?: number }).code !== 404) throw error;
  };
  for (const name of pods) await core.deleteNamespacedPod({ name, namespace: "kube-system", gracePeriodSeconds: 0 }).catch(ignore);
  for (const name of nodes) await core.deleteNode({ name }).catch(ignore);
}
