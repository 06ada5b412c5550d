/**
 * What one controller status write costs the apiserver, by write method, side by side on one real
 * control plane with realistic objects: N nodes converge under the real controller and stand-in
 * agents (so every object carries a real verdict and both managers' managedFields), the controller
 * stops, and then every object's controller status is written again with one condition message
 * changed, in alternating rounds of:
 *   apply        — server-side apply of the controller's whole status intent (as shipped);
 *   merge        — JSON merge patch of the controller's whole status, resourceVersion precondition;
 *   merge-delta  — JSON merge patch of only what changed (the conditions list), same precondition.
 * Then the floor, for comparison: N new NetworkHealths created by server-side apply with a name and
 * nothing else (create-minimal), and a status of one condition applied to each (apply-minimal) —
 * what any client's three writes per node would cost this apiserver with the smallest object.
 * Prints wall time, apiserver + etcd CPU per 1,000 writes and conflicts (409) per method.
 */
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { basename } from "node:path";
import { API_GROUP, API_VERSION, FIELD_MANAGER_CONTROLLER, NETWORK_HEALTH_PLURAL, type NetworkHealth, type NetworkHealthStatus } from "../src/api/index.js";
import { AGENT_STATUS_FIELDS } from "../src/core/node-identity.js";
import { loadKubeConfig } from "../src/k8s/kubeconfig.js";
import { NetworkHealthClient } from "../src/k8s/networkhealth-client.js";
import { startControlPlane } from "../test/support/control-plane/control-plane.js";
import { BENCH_CONCURRENCY, HEALTHY_LOG, MERGE, populate, startsBroken } from "./cluster.js";
import { startControllerChild } from "./controller-process.js";
import { controlPlaneCpu, delta, pool, sleep, startKubeletStandIn } from "./lib.js";
import { NetworkHealthWatch } from "./networkhealth-watch.js";
import { benchConfig } from "./scale.js";

/** A write method under test; the `-minimal` ones write new objects that carry one condition (the floor). */
export type StatusWriteMethod = "apply" | "merge" | "merge-delta" | "create-minimal" | "apply-minimal";

/** Figures of one round of one method. */
export interface StatusWriteRound {
  method: StatusWriteMethod;
  writes: number;
  seconds: number;
  apiserverCpu: number;
  etcdCpu: number;
  conflicts: number;
}


/** The controller's part of a status (everything the agent does not own). */
function controllerPart(status: NetworkHealthStatus | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(status ?? {}).filter(([key]) => !AGENT_STATUS_FIELDS.includes(key)));
}

/** The same status with the Ready condition's message marked by `round` (a real change, same size). */
function changed(part: Record<string, unknown>, round: number): Record<string, unknown> {
  const conditions = (part["conditions"] as Array<{ type: string; message?: string }> | undefined) ?? [];
  return { ...part, conditions: conditions.map((c) => (c.type === "Ready" ? { ...c, message: `${(c.message ?? "").replace(/ \(r\d+\)$/, "")} (r${round})` } : c)) };
}

/** Writes `status` to `object` by `method`; resolves false on a 409 conflict. */
async function write(api: CustomObjectsApi, client: NetworkHealthClient, object: NetworkHealth, status: Record<string, unknown>, method: StatusWriteMethod): Promise<boolean> {
  const name = object.metadata.name ?? "";
  if (method === "apply") {
    await client.applyStatus(name, status as NetworkHealthStatus);
    return true;
  }
  const body = { metadata: { resourceVersion: object.metadata.resourceVersion }, status: method === "merge" ? status : { conditions: status["conditions"] } };
  try {
    await api.patchClusterCustomObjectStatus({ group: API_GROUP, version: API_VERSION, plural: NETWORK_HEALTH_PLURAL, name, body }, MERGE);
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 409) return false;
    throw error;
  }
}

/** Lets the real controller converge `size` nodes with stand-in agents, then stops it (objects stay). */
async function converge(admin: KubeConfig, plane: { dir: string; kubeconfigPath: string }, size: number, kubeletPort: number, log: (line: string) => void): Promise<void> {
  const names = await populate(admin, size, kubeletPort);
  const watch = new NetworkHealthWatch(admin, new Map(names.map((name, i) => [name, startsBroken(i)])));
  await watch.start();
  const controller = await startControllerChild(plane.dir, plane.kubeconfigPath, benchConfig(300, { workers: 8, apiQPS: 1000, apiBurst: 1000 }));
  try {
    const started = Date.now();
    while (watch.correctCount() < size && Date.now() - started < 300_000) await sleep(500);
    log(`  ${watch.correctCount()}/${size} converged in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    watch.stop();
    await controller.stop();
  }
}

/** Every NetworkHealth, as stored. */
async function listAll(api: CustomObjectsApi): Promise<NetworkHealth[]> {
  return ((await api.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: NETWORK_HEALTH_PLURAL })) as { items: NetworkHealth[] }).items;
}

/** Runs `write` over `items`, BENCH_CONCURRENCY at a time, and measures it as one round of `method`. */
async function measured<T>(method: StatusWriteMethod, planeDir: string, items: readonly T[], write: (item: T) => Promise<boolean>): Promise<StatusWriteRound> {
  const cpuBefore = controlPlaneCpu(basename(planeDir));
  const started = Date.now();
  let conflicts = 0;
  await pool(items, BENCH_CONCURRENCY, async (item) => {
    if (!(await write(item))) conflicts += 1;
  });
  const seconds = (Date.now() - started) / 1000;
  const cpu = delta(cpuBefore, controlPlaneCpu(basename(planeDir)));
  return { method, writes: items.length, seconds, apiserverCpu: cpu.get("kube-apiserver") ?? 0, etcdCpu: cpu.get("etcd") ?? 0, conflicts };
}

/** The floor: `size` new minimal NetworkHealths created, then one condition applied to each. */
async function floorRounds(client: NetworkHealthClient, planeDir: string, size: number): Promise<StatusWriteRound[]> {
  const names = Array.from({ length: size }, (_, i) => `floor-${i}`);
  const created = await measured("create-minimal", planeDir, names, async (name) => {
    await client.apply({ apiVersion: `${API_GROUP}/${API_VERSION}`, kind: "NetworkHealth", metadata: { name } });
    return true;
  });
  const ready = { type: "Ready", status: "True", reason: "Healthy", message: "floor", lastTransitionTime: "2026-12-04T00:00:00Z" };
  const applied = await measured("apply-minimal", planeDir, names, async (name) => {
    await client.applyStatus(name, { conditions: [ready] } as NetworkHealthStatus);
    return true;
  });
  return [created, applied];
}

/** Converges `size` nodes, then runs `rounds` alternating rounds of every method over all objects. */
export async function runStatusWrites(size: number, rounds: number, log: (line: string) => void): Promise<StatusWriteRound[]> {
  const plane = await startControlPlane({ nodeMonitorGracePeriodSeconds: 3600 });
  const kubelet = await startKubeletStandIn(HEALTHY_LOG);
  try {
    const admin = loadKubeConfig(plane.kubeconfigPath);
    await converge(admin, plane, size, kubelet.port, log);
    const api = admin.makeApiClient(CustomObjectsApi);
    const client = new NetworkHealthClient(admin, FIELD_MANAGER_CONTROLLER);
    const results: StatusWriteRound[] = [];
    const methods: StatusWriteMethod[] = ["apply", "merge", "merge-delta"];
    logSizes(log, await listAll(api));
    for (let round = 0; round < rounds * methods.length; round += 1) {
      const method = methods[round % methods.length] as StatusWriteMethod;
      const objects = await listAll(api);
      results.push(await measured(method, plane.dir, objects, (object) => write(api, client, object, changed(controllerPart(object.status), round), method)));
      logRound(log, results.at(-1) as StatusWriteRound);
    }
    for (const floor of await floorRounds(client, plane.dir, size)) {
      results.push(floor);
      logRound(log, floor);
    }
    return results;
  } finally {
    await kubelet.close();
    await plane.stop();
  }
}

/** Logs the converged objects' mean JSON size and the parts of it that dominate. */
function logSizes(log: (line: string) => void, objects: readonly NetworkHealth[]): void {
  const mean = (part: (o: NetworkHealth) => unknown): number => Math.round(objects.reduce((n, o) => n + JSON.stringify(part(o) ?? null).length, 0) / Math.max(1, objects.length));
  const status = (o: NetworkHealth) => o.status as Record<string, unknown> | undefined;
  log(`  converged objects: mean ${mean((o) => o)} bytes as JSON — managedFields ${mean((o) => (o.metadata as { managedFields?: unknown }).managedFields)}, annotations ${mean((o) => o.metadata.annotations)}, ` +
    `conditions ${mean((o) => status(o)?.["conditions"])}, agent facts ${mean((o) => status(o)?.["facts"])}, probes ${mean((o) => status(o)?.["probes"])}, rest of status ${mean((o) => ({ ...status(o), conditions: undefined, facts: undefined, probes: undefined }))}`);
}

function logRound(log: (line: string) => void, r: StatusWriteRound): void {
  log(`  ${r.method}: ${r.writes} writes in ${r.seconds.toFixed(1)} s, apiserver ${r.apiserverCpu.toFixed(1)} CPU s, ${r.conflicts} conflicts`);
}

/** One row per method: medians over its rounds, per 1,000 writes. */
export function statusWriteTable(size: number, rounds: readonly StatusWriteRound[]): string {
  const methods = [...new Set(rounds.map((r) => r.method))];
  const rows = methods.map((method) => {
    const mine = rounds.filter((r) => r.method === method);
    const per1000 = (pick: (r: StatusWriteRound) => number) => mine.map((r) => ((pick(r) / r.writes) * 1000).toFixed(1)).join(", ");
    return `| ${size} | ${method} | ${mine.length} | ${per1000((r) => r.seconds)} | ${per1000((r) => r.apiserverCpu)} | ${per1000((r) => r.etcdCpu)} | ${mine.reduce((n, r) => n + r.conflicts, 0)} |`;
  });
  return ["| nodes | status write | rounds | wall s per 1,000 writes (each round) | apiserver CPU s per 1,000 | etcd CPU s per 1,000 | conflicts |",
    "|---|---|---|---|---|---|---|", ...rows].join("\n");
}
