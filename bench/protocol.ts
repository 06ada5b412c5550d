/**
 * The agents' steady state at one cluster size, side by side in one run on one real control plane:
 * the shipped protocol (watch + a Lease renewed every 5 min, NetworkHealth written on change), the
 * same watch with the 5-min heartbeat as a NetworkHealth status apply, and the one both replaced
 * (GET every 10 s + apply every 30 s), each for a window of real time with a few nodes breaking and
 * being healed by order.
 * Prints what the issue asks for: requests/s from all agents by verb, apiserver requests/s by verb
 * (all clients), apiserver / etcd / controller CPU, the controller's reconciles/s, and the time from
 * a node's broken report to its agent acting on the order (which bounds order-written → acting).
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { basename } from "node:path";
import { AGENT_LEASE_NAMESPACE, API_GROUP, API_VERSION, NETWORK_HEALTH_PLURAL } from "../src/api/index.js";
import { loadKubeConfig } from "../src/k8s/kubeconfig.js";
import { kubeconfigCredentials } from "../src/k8s/light/kubeconfig-credentials.js";
import { startControlPlane } from "../test/support/control-plane/control-plane.js";
import { ensureNamespace } from "../test/support/e2e/controller.js";
import { HEALTHY_LOG, MERGE, populate, startsBroken } from "./cluster.js";
import { shippedControllerEnv, startControllerChild, type ControllerChild } from "./controller-process.js";
import { apiserverRequests, controlPlaneCpu, delta, median, metricSum, sleep, startKubeletStandIn } from "./lib.js";
import { PROTOCOLS, ProtocolFleet, type AgentRequests, type Protocol } from "./protocol-fleet.js";
import { WATCH_TIMEOUT_BASE_SECONDS } from "../src/agent/networkhealth-watch.js";

/** Figures of one protocol's window. */
export interface ProtocolWindow {
  protocol: Protocol["name"];
  seconds: number;
  agentRequests: AgentRequests;
  apiserverRequests: Map<string, number>;
  /** CPU seconds in the window: kube-apiserver, etcd, netmedic controller, the bench (all agents). */
  cpu: Map<string, number>;
  reconciles: number;
  orderLatenciesMs: number[];
  flips: number;
  errors: number;
  /** Events written during the window, by the component that reported them. */
  eventsBySource: Map<string, number>;
  /** Watches the agents restarted because their own write did not come back on them. */
  silentRestarts: number;
  /** Agents in the fleet. */
  agents: number;
}

/** One node breaks this often during a window (maxConcurrent 1 lets one order run at a time). */
const FLIP_EVERY_MS = 20_000;

/** Lets `name`'s remediation run (spec.remediation Auto) while the cluster default stays Observe; retries until the controller created the object. */
async function allowRemediation(admin: KubeConfig, name: string): Promise<void> {
  const api = admin.makeApiClient(CustomObjectsApi);
  for (let attempt = 0; ; attempt += 1) {
    try {
      await api.patchClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: NETWORK_HEALTH_PLURAL, name, body: { spec: { remediation: "Auto" } } }, MERGE);
      return;
    } catch (error) {
      if ((error as { code?: number }).code !== 404 || attempt > 120) throw error;
      await sleep(1000);
    }
  }
}

/** The settle after the start: at least 60 s, then until every agent has listed and leased (at most 10 min) — the window measures the steady state, not the fleet's start. */
async function settle(fleet: ProtocolFleet): Promise<number> {
  const began = Date.now();
  await sleep(60_000);
  while (!fleet.allReady() && Date.now() - began < 600_000) await sleep(5000);
  return (Date.now() - began) / 1000;
}

/** Runs one protocol's fleet: start (spread), settle, then the measured window with flips. */
async function runWindow(context: { admin: KubeConfig; controller: ControllerChild; marker: string; credentialsPath: string; names: string[]; flipNodes: string[] },
  protocol: Protocol, seconds: number, log: (line: string) => void): Promise<ProtocolWindow> {
  const nodes = new Map(context.names.map((name, i) => [name, startsBroken(i)]));
  const fleet = new ProtocolFleet(kubeconfigCredentials([context.credentialsPath]), nodes, protocol);
  try {
    const spreadMs = Math.min(60_000, context.names.length * 12);
    await fleet.start(spreadMs);
    const settled = await settle(fleet);
    log(`  ${protocol.name}: ${context.names.length} agents started over ${(spreadMs / 1000).toFixed(0)} s, settled ${settled.toFixed(0)} s (${fleet.errors} errors so far; ${fleet.readiness()})`);
    const requestsBefore = await apiserverRequests(context.admin);
    const agentBefore = fleet.snapshot();
    const cpuBefore = cpuNow(context.marker, context.controller);
    const reconcilesBefore = metricSum(await context.controller.metrics(), "netmedic_reconcile_duration_seconds_count");
    const errorsBefore = fleet.errors;
    const silentBefore = fleet.silentRestarts();
    const started = Date.now();
    let flips = 0;
    while (Date.now() - started < seconds * 1000) {
      const node = context.flipNodes[flips];
      if (node !== undefined && Date.now() - started >= flips * FLIP_EVERY_MS) {
        flips += 1;
        // A write the apiserver does not answer in time is the agent's error, not the bench's end.
        await fleet.breakNode(node).catch(() => fleet.countError());
      }
      await sleep(1000);
    }
    const elapsed = (Date.now() - started) / 1000;
    log(`  ${protocol.name}: window over (${fleet.errors} errors so far; ${fleet.readiness()})`);
    const after = fleet.snapshot();
    const agentRequests = Object.fromEntries(Object.entries(after).map(([verb, n]) => [verb, n - agentBefore[verb as keyof AgentRequests]])) as AgentRequests;
    return {
      protocol: protocol.name, seconds: elapsed, agentRequests,
      apiserverRequests: delta(requestsBefore, await apiserverRequests(context.admin)),
      cpu: delta(cpuBefore, cpuNow(context.marker, context.controller)),
      reconciles: metricSum(await context.controller.metrics(), "netmedic_reconcile_duration_seconds_count") - reconcilesBefore,
      orderLatenciesMs: [...fleet.orderLatenciesMs], flips, errors: fleet.errors - errorsBefore,
      eventsBySource: await eventsSince(context.admin, started),
      silentRestarts: fleet.silentRestarts() - silentBefore, agents: context.names.length,
    };
  } finally {
    await fleet.close();
  }
}

/** Events last seen at or after `sinceMs`, counted by reporting component (whose Events the apiserver took). */
async function eventsSince(admin: KubeConfig, sinceMs: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const event of (await admin.makeApiClient(CoreV1Api).listEventForAllNamespaces()).items) {
    const at = event.lastTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp;
    if (!at || new Date(at).getTime() < sinceMs - 1000) continue;
    const source = `${event.source?.component ?? event.reportingComponent ?? "?"} ${event.reason ?? ""}`;
    counts.set(source, (counts.get(source) ?? 0) + (event.count ?? 1));
  }
  return counts;
}

function cpuNow(marker: string, controller: ControllerChild): Map<string, number> {
  const own = process.cpuUsage();
  return new Map([...controlPlaneCpu(marker), ["netmedic controller", controller.usage()?.cpuSeconds ?? 0], ["bench (all agents)", (own.user + own.system) / 1e6]]);
}

/** `protocols` at `size` nodes, `seconds` each, one after the other on one control plane and one controller. */
export async function runProtocolBench(size: number, seconds: number, protocols: readonly Protocol[], log: (line: string) => void): Promise<ProtocolWindow[]> {
  const plane = await startControlPlane({ nodeMonitorGracePeriodSeconds: 3600 });
  const kubelet = await startKubeletStandIn(HEALTHY_LOG);
  let controller: ControllerChild | undefined;
  try {
    const admin = loadKubeConfig(plane.kubeconfigPath);
    const names = await populate(admin, size, kubelet.port);
    // deploy/ creates it; the controller's Lease informer lists it from the start.
    await ensureNamespace(admin, AGENT_LEASE_NAMESPACE);
    const config = "remediation: {mode: Observe}\nreconcile: {workers: 8, apiQPS: 1000, apiBurst: 1000}\n";
    controller = await startControllerChild(plane.dir, plane.kubeconfigPath, config, shippedControllerEnv());
    const healthy = names.filter((_, i) => !startsBroken(i));
    const flipsPerWindow = Math.ceil((seconds * 1000) / FLIP_EVERY_MS);
    const flipNodes = Array.from({ length: protocols.length * flipsPerWindow }, (_, k) => healthy[(k * 7919) % healthy.length] as string);
    for (const name of new Set(flipNodes)) await allowRemediation(admin, name);
    const context = { admin, controller, marker: basename(plane.dir), credentialsPath: plane.kubeconfigPath, names };
    const windows: ProtocolWindow[] = [];
    for (const [i, protocol] of protocols.entries()) {
      windows.push(await runWindow({ ...context, flipNodes: flipNodes.slice(i * flipsPerWindow, (i + 1) * flipsPerWindow) }, protocol, seconds, log));
      log(protocolTable(size, windows.slice(-1)));
    }
    return windows;
  } finally {
    await controller?.stop();
    await kubelet.close();
    await plane.stop();
  }
}

const perSecond = (n: number, seconds: number) => (n / seconds).toFixed(2);

/**
 * The agents' requests/s over a long steady state: a window shorter than a watch's life (30–60 min)
 * sees almost no renewals, so they are added at their mean rate, N / (1.5 × base timeout), and the
 * Lease renewals at theirs, N / heartbeat.
 */
function longRunPerSecond(w: ProtocolWindow): number {
  const a = w.agentRequests;
  const renewals = w.protocol === "poll" ? a.WATCH / w.seconds : w.agents / (1.5 * WATCH_TIMEOUT_BASE_SECONDS);
  // Lease renewals come in a burst a heartbeat after the fleet's start: a window may catch none or all of them.
  const leases = w.protocol === "lease" ? w.agents / (PROTOCOLS.lease.heartbeatMs / 1000) : a.LEASE / w.seconds;
  return (a.GET + a.LIST + a.APPLY) / w.seconds + renewals + leases;
}

/** One row per protocol: agents' requests/s by verb (and over a long run), CPU per minute, reconciles/s, order latency. */
export function protocolTable(size: number, windows: readonly ProtocolWindow[]): string {
  const rows = windows.map((w) => {
    const a = w.agentRequests;
    const total = a.GET + a.LIST + a.WATCH + a.APPLY + a.LEASE;
    const cpuPerMinute = (name: string) => (((w.cpu.get(name) ?? 0) / w.seconds) * 60).toFixed(1);
    const latency = w.orderLatenciesMs.length ? `${(median(w.orderLatenciesMs) / 1000).toFixed(2)} s (n ${w.orderLatenciesMs.length}/${w.flips})` : `— (0/${w.flips})`;
    return `| ${size} | ${w.protocol} | ${w.seconds.toFixed(0)} | ${perSecond(total, w.seconds)} (GET ${perSecond(a.GET, w.seconds)}, LIST ${perSecond(a.LIST, w.seconds)}, WATCH ${perSecond(a.WATCH, w.seconds)}, APPLY ${perSecond(a.APPLY, w.seconds)}, LEASE ${perSecond(a.LEASE, w.seconds)}) | ${longRunPerSecond(w).toFixed(2)} | ` +
      `${cpuPerMinute("kube-apiserver")} | ${cpuPerMinute("etcd")} | ${((w.cpu.get("netmedic controller") ?? 0) / w.seconds).toFixed(3)} | ${cpuPerMinute("bench (all agents)")} | ${perSecond(w.reconciles, w.seconds)} | ${latency} | ${w.errors} | ${w.silentRestarts} |`;
  });
  return ["| nodes | protocol | window s | agent requests/s (by verb) | agent requests/s, long run | apiserver CPU s/min | etcd CPU s/min | controller CPU s/s | bench (agents) CPU s/min | reconciles/s | broken report → agent acting, median | agent errors | silent-watch restarts |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|", ...rows].join("\n");
}

/** apiserver requests/s by verb and resource (all clients), one column per window. */
export function protocolRequestTable(size: number, windows: readonly ProtocolWindow[]): string {
  // Rows under 0.01/s in every window (the plane's own resyncs of idle kinds) are left out.
  const keys = [...new Set(windows.flatMap((w) => [...w.apiserverRequests.keys()]))].sort()
    .filter((key) => windows.some((w) => (w.apiserverRequests.get(key) ?? 0) / w.seconds >= 0.01));
  const rows = keys.map((key) => `| ${key} | ${windows.map((w) => perSecond(w.apiserverRequests.get(key) ?? 0, w.seconds)).join(" | ")} |`);
  const sources = [...new Set(windows.flatMap((w) => [...w.eventsBySource.keys()]))].sort();
  const events = sources.map((source) => `| Events from ${source} | ${windows.map((w) => w.eventsBySource.get(source) ?? 0).join(" | ")} |`);
  return [`| apiserver requests/s at ${size} nodes (all clients) | ${windows.map((w) => w.protocol).join(" | ")} |`, `|---|${windows.map(() => "---|").join("")}`, ...rows, ...events].join("\n");
}
