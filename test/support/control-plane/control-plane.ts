/**
 * A real Kubernetes control plane on loopback for tests: etcd + kube-apiserver (token auth, RBAC,
 * service-account keys, aggregator) + kube-controller-manager (GC, DaemonSet, node lifecycle…) +
 * kube-scheduler, on free ports in a temp dir. Start it once per run (global setup) or, for
 * destructive fault tests (apiserver restarts, compaction), privately per test file.
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { findBinaries, type ControlPlaneBinaries } from "./binaries.js";
import { generatePki, type Pki } from "./pki.js";
import { freePort, startProcess, stopProcess, type ManagedProcess } from "./processes.js";
import { writeKubeconfig } from "./kubeconfig-file.js";
import { waitForReady } from "./readiness.js";
import { applyCrds } from "./crds.js";

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
}

/** A running control plane. */
export interface ControlPlane {
  dir: string;
  server: string;
  etcdEndpoint: string;
  adminToken: string;
  kubeconfigPath: string;
  caCertPath: string;
  /** Stops kube-apiserver and starts it again with the same flags; resolves when it is ready. */
  restartApiServer(): Promise<void>;
  /** Compacts etcd up to its current revision; returns that revision. */
  compactEtcd(): string;
  /** Stops every process (by PID) and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** PIDs of the running processes (for leak checks). */
  pids(): number[];
}

interface Ports { etcd: number; etcdPeer: number; apiserver: number }

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

/** etcd 3.4 has no --unsafe-no-fsync: keep its data in memory (/dev/shm) when available. */
function etcdDataDir(dir: string): string {
  return existsSync("/dev/shm") ? join("/dev/shm", `${basename(dir)}-etcd`) : join(dir, "etcd");
}

function etcdArgv(bin: ControlPlaneBinaries, dir: string, ports: Ports): string[] {
  const client = `http://127.0.0.1:${ports.etcd}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [bin.etcd, "--name=default", `--data-dir=${etcdDataDir(dir)}`, `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=default=${peer}`, "--logger=zap", "--log-level=warn"];
}

function auditArgv(dir: string): string[] {
  const policy = join(dir, "audit-policy.yaml");
  writeFileSync(policy, "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n");
  return [`--audit-policy-file=${policy}`, `--audit-log-path=${join(dir, "audit.log")}`, "--audit-log-format=json", "--audit-log-mode=blocking"];
}

function apiserverArgv(bin: ControlPlaneBinaries, dir: string, ports: Ports, pki: Pki, watchCache: boolean): string[] {
  // ServiceAccount admission is off: there are no kubelets to mount tokens, and with it every new
  // namespace rejects pods until the token controller has caught up (flaky DaemonSet tests).
  return [bin.apiserver, `--watch-cache=${watchCache}`, "--disable-admission-plugins=ServiceAccount", `--etcd-servers=http://127.0.0.1:${ports.etcd}`, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
    `--secure-port=${ports.apiserver}`, "--insecure-port=0", `--tls-cert-file=${pki.servingCert}`, `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`, `--token-auth-file=${join(dir, "tokens.csv")}`, "--authorization-mode=RBAC",
    `--service-account-key-file=${pki.serviceAccountPub}`, `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local", "--api-audiences=https://kubernetes.default.svc.cluster.local",
    "--service-cluster-ip-range=10.96.0.0/16", "--endpoint-reconciler-type=none", "--allow-privileged=true",
    `--requestheader-client-ca-file=${pki.caCert}`, `--proxy-client-cert-file=${pki.proxyClientCert}`, `--proxy-client-key-file=${pki.proxyClientKey}`,
    "--requestheader-allowed-names=front-proxy-client", "--requestheader-username-headers=X-Remote-User",
    "--requestheader-group-headers=X-Remote-Group", "--requestheader-extra-headers-prefix=X-Remote-Extra-", "--enable-aggregator-routing=true",
    `--cert-dir=${join(dir, "certs")}`, "--profiling=false", "--v=1"];
}

function controllerManagerArgv(bin: ControlPlaneBinaries, kubeconfig: string, pki: Pki, graceSeconds: number): string[] {
  return [bin.controllerManager, `--kubeconfig=${kubeconfig}`, "--port=0", "--secure-port=0", "--leader-elect=false",
    `--service-account-private-key-file=${pki.serviceAccountKey}`, `--root-ca-file=${pki.caCert}`, "--use-service-account-credentials=false",
    "--controllers=*", `--node-monitor-grace-period=${graceSeconds}s`, "--node-monitor-period=2s", "--node-startup-grace-period=20s",
    "--concurrent-gc-syncs=5", "--profiling=false", "--v=1"];
}

function schedulerArgv(bin: ControlPlaneBinaries, kubeconfig: string): string[] {
  return [bin.scheduler, `--kubeconfig=${kubeconfig}`, "--port=0", "--secure-port=0", "--leader-elect=false", "--profiling=false", "--v=1"];
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
      await new Promise((resolve) => setTimeout(resolve, 200));
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
    return await boot(bin, dir, processes, options);
  } catch (error) {
    await Promise.all(processes.map((p) => stopProcess(p, 1000)));
    rmSync(etcdDataDir(dir), { recursive: true, force: true });
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function boot(bin: ControlPlaneBinaries, dir: string, processes: ManagedProcess[], options: ControlPlaneOptions): Promise<ControlPlane> {
  const pki = generatePki(dir);
  const ports: Ports = { etcd: await freePort(), etcdPeer: await freePort(), apiserver: await freePort() };
  const adminToken = randomBytes(24).toString("hex");
  writeFileSync(join(dir, "tokens.csv"), `${adminToken},netmedic-test-admin,uid-admin,"system:masters"\n`, { mode: 0o600 });
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const kubeconfigPath = writeKubeconfig(join(dir, "admin.kubeconfig"), server, pki.caCert, "admin", adminToken);
  processes.push(startProcess("etcd", etcdArgv(bin, dir, ports), join(dir, "etcd.log")));
  const argv = [...apiserverArgv(bin, dir, ports, pki, options.watchCache ?? true), ...(options.auditLog ? auditArgv(dir) : [])];
  let apiserver = startProcess("kube-apiserver", argv, join(dir, "kube-apiserver.log"));
  processes.push(apiserver);
  await waitForReady(server, adminToken, pki.caCert, apiserver, 20_000);
  if (options.crdsDir !== null) await applyCrds(adminKubeConfig(kubeconfigPath), options.crdsDir ?? "crds");
  const grace = options.nodeMonitorGracePeriodSeconds ?? 40;
  processes.push(startProcess("kube-controller-manager", controllerManagerArgv(bin, kubeconfigPath, pki, grace), join(dir, "kube-controller-manager.log")));
  processes.push(startProcess("kube-scheduler", schedulerArgv(bin, kubeconfigPath), join(dir, "kube-scheduler.log")));
  await waitForControllers(kubeconfigPath, processes, 20_000);
  const etcdEndpoint = `http://127.0.0.1:${ports.etcd}`;
  let stopped = false;
  return {
    dir, server, etcdEndpoint, adminToken, kubeconfigPath, caCertPath: pki.caCert,
    async restartApiServer() {
      await stopProcess(apiserver);
      const next = startProcess("kube-apiserver", apiserver.argv, apiserver.logPath);
      processes.splice(processes.indexOf(apiserver), 1, next);
      apiserver = next;
      await waitForReady(server, adminToken, pki.caCert, apiserver, 20_000);
    },
    compactEtcd() {
      const status = JSON.parse(execFileSync(bin.etcdctl, [`--endpoints=${etcdEndpoint}`, "endpoint", "status", "-w", "json"], { env: { ...process.env, ETCDCTL_API: "3" } }).toString()) as Array<{ Status: { header: { revision: number } } }>;
      const revision = String(status[0]?.Status.header.revision ?? "");
      execFileSync(bin.etcdctl, [`--endpoints=${etcdEndpoint}`, "compact", revision], { env: { ...process.env, ETCDCTL_API: "3" } });
      return revision;
    },
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
