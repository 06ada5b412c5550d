/**
 * Scale, steady state and churn of the controller at one cluster size, on a private real control
 * plane: populate, start the controller child, let stand-in agents report as soon as each
 * NetworkHealth exists, and measure time to a correct status everywhere, peak RSS, CPU, API
 * requests by verb, writes per node; then a steady window (no changes) and a churn window (10 % of
 * nodes flip a fact per minute).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { loadKubeConfig } from "../src/k8s/kubeconfig.js";
import { startControlPlane } from "../test/support/control-plane/control-plane.js";
import { HEALTHY_LOG, populate, startsBroken } from "./cluster.js";
import { startControllerChild, type ControllerChild } from "./controller-process.js";
import { apiserverRequests, controlPlaneCpu, delta, fetchBytes, metricSum, sleep, startKubeletStandIn } from "./lib.js";
import { NetworkHealthWatch } from "./networkhealth-watch.js";

/** Knobs of one scale run. */
export interface ScaleOptions {
  size: number;
  /** Controller resyncSeconds during the run (steady window = several resyncs). */
  resyncSeconds: number;
  steadySeconds: number;
  churnSeconds: number;
  /** Give up converging after this long. */
  convergeTimeoutSeconds: number;
  /** The controller's `reconcile:` config (workers, apiQPS, apiBurst); undefined = the shipped defaults. */
  reconcile?: { workers: number; apiQPS: number; apiBurst: number };
  /** The controller's environment over the bench's (NODE_OPTIONS, malloc settings); {} = none of its own. */
  controllerEnv: Record<string, string>;
  /** Extra node flags for the controller process (e.g. `--cpu-prof --cpu-prof-dir=DIR`). */
  controllerNodeFlags?: readonly string[];
  /** > 0: a Go CPU profile of the apiserver this long from the controller's start, written to a temp file. */
  apiserverProfileSeconds?: number;
}

/** Figures of one size. */
export interface ScaleResult {
  size: number;
  populateSeconds: number;
  /** Seconds from controller spawn to every NetworkHealth correct; undefined = not within the timeout. */
  convergeSeconds?: number;
  correctAtEnd: number;
  peakRssMb: number;
  cpuSecondsConverge: number;
  creates: number;
  statusWrites: number;
  /** Mean seconds of one reconcile while converging (netmedic_reconcile_duration_seconds sum/count). */
  meanReconcileSeconds: number;
  reconcilesConverge: number;
  requestsConverge: Map<string, number>;
  steady: { seconds: number; reconciles: number; writes: number; controllerWrites: number; requests: Map<string, number> };
  churn: { seconds: number; flips: number; reconciles: number; writes: number; correct: boolean };
  cpuSecondsTotal: number;
  /** CPU seconds each process used while converging (the 2 cores are shared): control plane, bench, controller. */
  convergeCpu: Map<string, number>;
}

/** The config the bench gives the controller (Observe: diagnose only, no orders wait for agents). */
export function benchConfig(resyncSeconds: number, reconcile?: ScaleOptions["reconcile"]): string {
  const rate = reconcile ? `reconcile: {workers: ${reconcile.workers}, apiQPS: ${reconcile.apiQPS}, apiBurst: ${reconcile.apiBurst}}\n` : "";
  return `remediation: {mode: Observe, staleAfterSeconds: 86400}\nresyncSeconds: ${resyncSeconds}\n${rate}`;
}

const writesOf = (requests: Map<string, number>) =>
  [...requests].filter(([key]) => /^(CREATE|POST|PATCH|UPDATE|APPLY|PUT|DELETE)\b/.test(key) && !key.includes("leases")).reduce((sum, [, n]) => sum + n, 0);

async function reconciles(controller: ControllerChild): Promise<number> {
  return metricSum(await controller.metrics(), "netmedic_reconcile_duration_seconds_count");
}

/**
 * Takes a Go CPU profile of the apiserver (/debug/pprof/profile, `seconds` long; the plane must
 * serve pprof) and writes it to a temp file, logging where — or why not. Never throws.
 */
async function captureApiserverProfile(admin: KubeConfig, seconds: number, log: (line: string) => void): Promise<void> {
  try {
    const url = `${admin.getCurrentCluster()?.server ?? ""}/debug/pprof/profile?seconds=${seconds}`;
    const body = await fetchBytes(url, admin, (seconds + 30) * 1000);
    if (body[0] !== 0x1f || body[1] !== 0x8b) throw new Error(`not a gzipped profile: ${body.subarray(0, 120).toString()}`);
    const path = join(mkdtempSync(join(tmpdir(), "netmedic-bench-pprof-")), "kube-apiserver.pb.gz");
    writeFileSync(path, body);
    log(`  apiserver CPU profile, ${seconds} s from the controller's start: ${path}`);
  } catch (error) {
    log(`  apiserver CPU profile failed: ${String(error)}`);
  }
}

/** Runs the whole scenario at `options.size`; `log` prints progress lines. NETMEDIC_BENCH_KEEP=1 keeps the control plane's dir (logs) for a look afterwards. */
export async function runScale(options: ScaleOptions, log: (line: string) => void): Promise<ScaleResult> {
  const profileSeconds = options.apiserverProfileSeconds ?? 0;
  const plane = await startControlPlane({ nodeMonitorGracePeriodSeconds: 3600, keepDir: process.env["NETMEDIC_BENCH_KEEP"] === "1", apiserverProfiling: profileSeconds > 0 });
  const kubelet = await startKubeletStandIn(HEALTHY_LOG);
  // Keep-alive connections, as 5,000 resident agents would hold: the load generator's own TLS
  // handshakes would otherwise take the apiserver's CPU from the controller being measured.
  const admin = loadKubeConfig(plane.kubeconfigPath);
  let controller: ControllerChild | undefined;
  let watch: NetworkHealthWatch | undefined;
  try {
    const started = Date.now();
    const names = await populate(admin, options.size, kubelet.port);
    const populateSeconds = (Date.now() - started) / 1000;
    log(`  ${options.size} nodes + pods created in ${populateSeconds.toFixed(1)} s`);
    watch = new NetworkHealthWatch(admin, new Map(names.map((name, i) => [name, startsBroken(i)])));
    await watch.start();
    const before = await apiserverRequests(admin);
    const marker = basename(plane.dir);
    const cpuBefore = cpuReadings(marker);
    const spawned = Date.now();
    controller = await startControllerChild(plane.dir, plane.kubeconfigPath, benchConfig(options.resyncSeconds, options.reconcile), options.controllerEnv, options.controllerNodeFlags);
    const profiled = profileSeconds > 0 ? captureApiserverProfile(admin, profileSeconds, log) : Promise.resolve();
    let convergeSeconds: number | undefined;
    while ((Date.now() - spawned) / 1000 < options.convergeTimeoutSeconds) {
      await sleep(250);
      const exitCode = controller.exitCode();
      if (exitCode !== undefined) throw new Error(`controller exited (${String(exitCode)}); see ${controller.logPath}`);
      if (watch.correctCount() === options.size) {
        convergeSeconds = (Date.now() - spawned) / 1000;
        break;
      }
    }
    const convergeCpu = delta(cpuBefore, cpuReadings(marker, controller.usage()?.cpuSeconds));
    const correctAtEnd = watch.correctCount();
    log(`  converged: ${convergeSeconds?.toFixed(1) ?? `NO (${correctAtEnd}/${options.size} correct)`} s; agent reports ${watch.reports}${watch.lastError ? `, last error ${watch.lastError}` : ""}`);
    log(`  CPU s while converging: ${[...convergeCpu].map(([name, seconds]) => `${name} ${seconds.toFixed(1)}`).join(", ")}`);
    if (convergeSeconds === undefined) log(`  e.g. ${watch.firstIncorrect() ?? ""}`);
    await profiled;
    const drainStarted = Date.now();
    // Events leave in the background: the steady window starts once convergence's Events are sent.
    while (metricSum(await controller.metrics(), "netmedic_event_backlog") > 0 && Date.now() - drainStarted < 120_000) await sleep(250);
    log(`  Events of convergence sent ${((Date.now() - drainStarted) / 1000).toFixed(1)} s after convergence`);
    const atConverge = await apiserverRequests(admin);
    const convergeMetrics = await controller.metrics();
    const usageConverge = controller.usage();
    const requestsConverge = delta(before, atConverge);
    const steady = await window(controller, admin, options.steadySeconds, async () => undefined);
    log(`  steady ${options.steadySeconds} s: ${steady.reconciles} reconciles, ${steady.writes} writes`);
    let flips = 0;
    const churn = await window(controller, admin, options.churnSeconds, async (elapsedMs) => {
      const due = Math.floor((options.size * 0.1 * elapsedMs) / 60_000);
      const batch: Promise<void>[] = [];
      while (flips < due) batch.push((watch as NetworkHealthWatch).flip(names[(flips++ * 7919) % names.length] as string));
      await Promise.all(batch);
    });
    await sleep(5000);
    const churnCorrect = watch.correctCount() === options.size;
    log(`  churn ${options.churnSeconds} s: ${flips} flips, ${churn.reconciles} reconciles, ${churn.writes} controller writes`);
    return {
      size: options.size, populateSeconds, convergeSeconds, correctAtEnd,
      peakRssMb: controller.usage()?.peakRssMb ?? Number.NaN,
      cpuSecondsConverge: usageConverge?.cpuSeconds ?? Number.NaN,
      creates: requestsConverge.get("APPLY networkhealths") ?? 0,
      statusWrites: metricSum(convergeMetrics, "netmedic_status_writes_total"),
      meanReconcileSeconds: metricSum(convergeMetrics, "netmedic_reconcile_duration_seconds_sum") / metricSum(convergeMetrics, "netmedic_reconcile_duration_seconds_count"),
      reconcilesConverge: metricSum(convergeMetrics, "netmedic_reconcile_duration_seconds_count"),
      requestsConverge,
      steady: { seconds: options.steadySeconds, reconciles: steady.reconciles, writes: steady.writes, controllerWrites: steady.controllerWrites, requests: steady.requests },
      churn: { seconds: options.churnSeconds, flips, reconciles: churn.reconciles, writes: churn.controllerWrites, correct: churnCorrect },
      cpuSecondsTotal: controller.usage()?.cpuSeconds ?? Number.NaN,
      convergeCpu,
    };
  } finally {
    watch?.stop();
    await controller?.stop();
    await kubelet.close();
    await plane.stop();
  }
}

/** CPU seconds so far: the plane's processes, this bench process (stand-in agents, watch, metrics polls) and the controller. */
function cpuReadings(marker: string, controllerSeconds = 0): Map<string, number> {
  const own = process.cpuUsage();
  return new Map([...controlPlaneCpu(marker), ["bench (stand-in agents)", (own.user + own.system) / 1e6], ["netmedic controller", controllerSeconds]]);
}

/** Runs `tick` every second for `seconds`; returns reconciles, controller status writes and request deltas. */
async function window(controller: ControllerChild, admin: KubeConfig, seconds: number, tick: (elapsedMs: number) => Promise<void>) {
  const requestsBefore = await apiserverRequests(admin);
  const reconcilesBefore = await reconciles(controller);
  const writesBefore = metricSum(await controller.metrics(), "netmedic_status_writes_total");
  const start = Date.now();
  while (Date.now() - start < seconds * 1000) {
    await tick(Date.now() - start);
    await sleep(1000);
  }
  const requests = delta(requestsBefore, await apiserverRequests(admin));
  const controllerWrites = metricSum(await controller.metrics(), "netmedic_status_writes_total") - writesBefore;
  return { reconciles: (await reconciles(controller)) - reconcilesBefore, writes: writesOf(requests), controllerWrites, requests };
}
