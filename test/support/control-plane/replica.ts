/**
 * A second kube-apiserver joined to the shared control plane's etcd: a real HA member (same CA and
 * serving certificate, service-account keys and token file; its own port). Destructive faults —
 * restarting an apiserver mid-watch, a 410 Gone after compaction with the watch cache off — happen
 * on it, so they never disturb the other test files, and cost one apiserver start (~6 s) instead
 * of a whole private plane. Its endpoint reconciler is off like the shared one's (argv.ts), so the
 * two never fight over default/kubernetes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { findBinaries } from "./binaries.js";
import { apiserverArgv } from "./argv.js";
import { getTestCluster } from "./cluster.js";
import { compactEtcd } from "./control-plane.js";
import { writeKubeconfig } from "./kubeconfig-file.js";
import { freePort, startProcess, stopProcess, type ManagedProcess } from "./processes.js";
import { waitForReady } from "./readiness.js";
import { recordStartup } from "./startup-log.js";

/** Options of a replica. */
export interface ReplicaOptions {
  /**
   * Its watch cache (default on). Off, every watch goes to etcd, so a compaction turns a watch from
   * an older resourceVersion into a real 410 Gone.
   */
  watchCache?: boolean;
}

/** A running replica apiserver of the shared plane. */
export interface ApiServerReplica {
  server: string;
  /** An admin kubeconfig pointing at this replica only. */
  kubeconfigPath: string;
  /** Stops this apiserver and starts it again with the same flags; resolves when it is ready. */
  restart(): Promise<void>;
  /** Compacts the shared etcd to its current revision (harmless to the shared apiserver's cache). */
  compactEtcd(): string;
  /** Stops the replica by PID and removes its files. Safe to call twice. */
  stop(): Promise<void>;
  /** PID of the running apiserver (for leak checks). */
  pid(): number;
}

/** Starts a replica of the shared plane's apiserver; resolves when its /readyz answers 200. */
export async function startApiServerReplica(options: ReplicaOptions = {}): Promise<ApiServerReplica> {
  const cluster = getTestCluster();
  const bin = findBinaries();
  if (bin instanceof Error) throw bin;
  const started = Date.now();
  const dir = mkdtempSync(join(cluster.dir, "replica-"));
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const argv = apiserverArgv(bin, {
    etcdEndpoint: cluster.etcdEndpoint, port, pki: cluster.pki, tokenFile: cluster.tokenFile, certDir: join(dir, "certs"), watchCache: options.watchCache ?? true,
  });
  const kubeconfigPath = writeKubeconfig(join(dir, "admin.kubeconfig"), server, cluster.caCertPath, "admin", cluster.adminToken);
  let apiserver: ManagedProcess = startProcess("kube-apiserver-replica", argv, join(dir, "kube-apiserver.log"));
  const ready = () => waitForReady(server, cluster.adminToken, cluster.caCertPath, apiserver, 20_000);
  try {
    await ready();
  } catch (error) {
    await stopProcess(apiserver, 1000);
    throw error;
  }
  recordStartup({ kind: "replica", ms: Date.now() - started });
  let stopped = false;
  return {
    server, kubeconfigPath,
    async restart() {
      await stopProcess(apiserver);
      apiserver = startProcess("kube-apiserver-replica", argv, apiserver.logPath);
      await ready();
    },
    compactEtcd: () => compactEtcd(bin.etcdctl, cluster.etcdEndpoint),
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopProcess(apiserver);
      rmSync(dir, { recursive: true, force: true });
    },
    pid: () => apiserver.pid,
  };
}
