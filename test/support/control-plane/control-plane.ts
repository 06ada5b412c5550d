/**
 * A real Kubernetes control plane on loopback for tests: etcd + kube-apiserver (token auth, RBAC,
 * service-account keys, aggregator, optional audit log) + kube-controller-manager (GC, DaemonSet,
 * node lifecycle…) + kube-scheduler, on free ports in a temp dir. A run starts ONE (global setup);
 * destructive fault tests add an apiserver replica on its etcd (replica.ts) instead of a plane.
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { findBinaries, type ControlPlaneBinaries } from "./binaries.js";
import { generatePki, type Pki } from "./pki.js";
import { freePort, startProcess, stopProcess, type ManagedProcess } from "./processes.js";
import { writeKubeconfig } from "./kubeconfig-file.js";
import { waitForReady } from "./readiness.js";
import { applyCrds } from "./crds.js";
import { apiserverArgv, auditArgv, controllerManagerArgv, etcdArgv, etcdDataDir, schedulerArgv, writeEgressSelector } from "./argv.js";
import { recordStartup, stopwatch } from "./startup-log.js";

/** Options of a control plane. */
export interface ControlPlaneOptions {
  /** node-lifecycle grace period before a silent Node turns Ready=Unknown (default 40s, as upstream). */
  nodeMonitorGracePeriodSeconds?: number;
  /** Keep the temp dir (logs) after stop, for debugging. */
  keepDir?: boolean;
  /**
   * The apiserver's watch cache (default on, as in clusters). Off, every watch goes to etcd, so an
   * etcd compaction turns a watch from an older resourceVersion into a real 410 Gone.
   */
  watchCache?: boolean;
  /**
   * CRD directory applied before the controller-manager starts (default "crds"), so its garbage
   * collector watches NetworkHealth from the start instead of after its 30 s discovery resync.
   */
  crdsDir?: string | null;
  /** Write the apiserver's audit log (Metadata level, JSON lines) to `${dir}/audit.log`. */
  auditLog?: boolean;
  /** Serve the apiserver's Go profiles at /debug/pprof (default off). */
  apiserverProfiling?: boolean;
  /** A plane for real kubelets (test/support/real-node/): see RealNodePlane. */
  realNodes?: RealNodePlane;
}

/** What a plane needs so real kubelets, kube-proxies and pods can use it. */
export interface RealNodePlane {
  /** Addresses the apiserver is reached at besides loopback (ClusterIP, lab API address): its certificate's IP SANs. */
  apiAddresses: string[];
  /** UNIX socket of the HTTP CONNECT proxy that carries the apiserver's traffic to kubelets (egress selector "cluster"). */
  egressSocket: string;
  /** Static tokens of the kubelets, as user system:node:NAME in group system:nodes (the Node authorizer's identity). */
  nodeTokens: Record<string, string>;
  /** Static token of the kube-proxies: user system:kube-proxy, which the default system:node-proxier binding names. */
  proxyToken: string;
}

/** A running control plane. */
export interface ControlPlane {
  dir: string;
  server: string;
  etcdEndpoint: string;
  adminToken: string;
  kubeconfigPath: string;
  caCertPath: string;
  /** The generated PKI (an apiserver replica serves with the same certificates and keys). */
  pki: Pki;
  /** The static token file (admin token) every apiserver of this plane authenticates with. */
  tokenFile: string;
  /** `${dir}/audit.log` when started with auditLog, else undefined. */
  auditLogPath?: string;
  /** Stops kube-apiserver and starts it again with the same flags; resolves when it is ready. */
  restartApiServer(): Promise<void>;
  /** Compacts etcd up to its current revision; returns that revision. */
  compactEtcd(): string;
  /** Milliseconds from the start until usable, and per phase. */
  startup: { ms: number; phases: Record<string, number> };
  /** Stops every process (by PID) and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** PIDs of the running processes (for leak checks). */
  pids(): number[];
}

/**
 * Removes in-memory etcd data left by control planes that were killed before their teardown: a
 * /dev/shm/netmedic-cp-*-etcd dir whose temp dir no longer exists belongs to no running plane.
 */
function removeOrphanedEtcdData(): void {
  if (!existsSync("/dev/shm")) return;
  for (const entry of readdirSync("/dev/shm")) {
    const owner = /^(netmedic-cp-\w+)-etcd$/.exec(entry)?.[1];
    if (owner && !existsSync(join(tmpdir(), owner))) rmSync(join("/dev/shm", entry), { recursive: true, force: true });
  }
}

/**
 * The controller-manager is working once its serviceaccount controller has created default/default:
 * only then are garbage collection and the DaemonSet controller reliably running.
 */
async function waitForControllers(kubeconfigPath: string, processes: ManagedProcess[], timeoutMs: number): Promise<void> {
  const core = adminKubeConfig(kubeconfigPath).makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = processes.find((p) => p.child.exitCode !== null);
    if (dead) throw new Error(`${dead.name} exited (${dead.child.exitCode}); see ${dead.logPath}`);
    try {
      await core.readNamespacedServiceAccount({ name: "default", namespace: "default" });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50)); // start-up latency of every run
    }
  }
  throw new Error(`kube-controller-manager did not create default/default within ${timeoutMs} ms; see ${join(dirOf(kubeconfigPath), "kube-controller-manager.log")}`);
}

function adminKubeConfig(path: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** Starts a control plane; throws NOT_PROVISIONED when the binaries are missing. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bin = findBinaries();
  if (bin instanceof Error) throw bin;
  removeOrphanedEtcdData();
  const dir = mkdtempSync(join(tmpdir(), "netmedic-cp-"));
  const processes: ManagedProcess[] = [];
  try {
    const plane = await boot(bin, dir, processes, options);
    // A test file's own plane (the shared one is recorded by global setup, before workers exist).
    recordStartup({ kind: "private", ms: plane.startup.ms, phases: plane.startup.phases });
    return plane;
  } catch (error) {
    await Promise.all(processes.map((p) => stopProcess(p, 1000)));
    rmSync(etcdDataDir(dir), { recursive: true, force: true });
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Compacts the etcd at `endpoint` up to its current revision; returns that revision. */
export function compactEtcd(etcdctl: string, endpoint: string): string {
  const env = { ...process.env, ETCDCTL_API: "3" };
  const status = JSON.parse(execFileSync(etcdctl, [`--endpoints=${endpoint}`, "endpoint", "status", "-w", "json"], { env }).toString()) as Array<{ Status: { header: { revision: number } } }>;
  const revision = String(status[0]?.Status.header.revision ?? "");
  execFileSync(etcdctl, [`--endpoints=${endpoint}`, "compact", revision], { env });
  return revision;
}

interface Started { server: string; adminToken: string; kubeconfigPath: string; pki: Pki; tokenFile: string; etcdEndpoint: string; apiserver: ManagedProcess }

/**
 * etcd first (it needs nothing), then the PKI while etcd comes up, then the apiserver, which waits
 * for etcd on its own: the openssl work (~0.2 s) overlaps etcd's start-up.
 */
async function startEtcdAndApiServer(bin: ControlPlaneBinaries, dir: string, processes: ManagedProcess[], options: ControlPlaneOptions): Promise<Started> {
  const [etcdPort, etcdPeer, port] = [await freePort(), await freePort(), await freePort()];
  processes.push(startProcess("etcd", etcdArgv(bin, dir, etcdPort, etcdPeer), join(dir, "etcd.log")));
  const pki = generatePki(dir, options.realNodes?.apiAddresses);
  const adminToken = randomBytes(24).toString("hex");
  const tokenFile = join(dir, "tokens.csv");
  const nodeLines = Object.entries(options.realNodes?.nodeTokens ?? {}).map(([node, token]) => `${token},system:node:${node},uid-node-${node},"system:nodes"\n`);
  if (options.realNodes) nodeLines.push(`${options.realNodes.proxyToken},system:kube-proxy,uid-kube-proxy\n`);
  writeFileSync(tokenFile, `${adminToken},netmedic-test-admin,uid-admin,"system:masters"\n${nodeLines.join("")}`, { mode: 0o600 });
  const server = `https://127.0.0.1:${port}`;
  const kubeconfigPath = writeKubeconfig(join(dir, "admin.kubeconfig"), server, pki.caCert, "admin", adminToken);
  const etcdEndpoint = `http://127.0.0.1:${etcdPort}`;
  const realNodes = options.realNodes && { egressSelectorConfig: writeEgressSelector(dir, options.realNodes.egressSocket) };
  const setup = { etcdEndpoint, port, pki, tokenFile, certDir: join(dir, "certs"), watchCache: options.watchCache ?? true, profiling: options.apiserverProfiling, realNodes };
  const argv = [...apiserverArgv(bin, setup), ...(options.auditLog ? auditArgv(dir) : [])];
  const apiserver = startProcess("kube-apiserver", argv, join(dir, "kube-apiserver.log"));
  processes.push(apiserver);
  // ~5 s when the machine is idle; the margin is for a loaded 2-core machine, not for a slow plane.
  await waitForReady(server, adminToken, pki.caCert, apiserver, 60_000);
  return { server, adminToken, kubeconfigPath, pki, tokenFile, etcdEndpoint, apiserver };
}

async function boot(bin: ControlPlaneBinaries, dir: string, processes: ManagedProcess[], options: ControlPlaneOptions): Promise<ControlPlane> {
  const clock = stopwatch();
  const started = await startEtcdAndApiServer(bin, dir, processes, options);
  clock.lap("apiserverReady");
  const { server, adminToken, kubeconfigPath, pki, etcdEndpoint } = started;
  let apiserver = started.apiserver;
  if (options.crdsDir !== null) await applyCrds(adminKubeConfig(kubeconfigPath), options.crdsDir ?? "crds");
  clock.lap("crds");
  const grace = options.nodeMonitorGracePeriodSeconds ?? 40;
  processes.push(startProcess("kube-controller-manager", controllerManagerArgv(bin, kubeconfigPath, pki, grace), join(dir, "kube-controller-manager.log")));
  processes.push(startProcess("kube-scheduler", schedulerArgv(bin, kubeconfigPath), join(dir, "kube-scheduler.log")));
  await waitForControllers(kubeconfigPath, processes, 20_000);
  clock.lap("controllers");
  const startup = { ms: clock.elapsed(), phases: clock.phases };
  let stopped = false;
  return {
    dir, server, etcdEndpoint, adminToken, kubeconfigPath, caCertPath: pki.caCert, pki, tokenFile: started.tokenFile, startup,
    auditLogPath: options.auditLog ? join(dir, "audit.log") : undefined,
    async restartApiServer() {
      await stopProcess(apiserver);
      const next = startProcess("kube-apiserver", apiserver.argv, apiserver.logPath);
      processes.splice(processes.indexOf(apiserver), 1, next);
      apiserver = next;
      await waitForReady(server, adminToken, pki.caCert, apiserver, 20_000);
    },
    compactEtcd: () => compactEtcd(bin.etcdctl, etcdEndpoint),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const managed of [...processes].reverse()) await stopProcess(managed);
      rmSync(etcdDataDir(dir), { recursive: true, force: true });
      if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
    },
    pids: () => processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null).map((p) => p.pid),
  };
}
