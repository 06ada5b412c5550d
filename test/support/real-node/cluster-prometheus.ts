/**
 * A real Prometheus (test/support/prometheus/server.ts) watching a real-node cluster: it scrapes the
 * controller pods' /metrics as the ServiceMonitor describes, each pod reached through a loopback
 * port that goes through the apiserver's egress proxy (pods live in lab namespaces this machine
 * cannot route to, as an in-cluster Prometheus reaches them over the pod network). The shipped rules
 * are evaluated with `for:` 5 s and every 2 s, in the server's copy only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRuleGroups, shortenedGroups } from "../../../scripts/monitoring/rules.js";
import { activeAlerts, instantQuery, startPrometheus, type ActiveAlert, type Prometheus } from "../prometheus/server.js";
import { forwardToCluster, type ClusterForward } from "./egress-proxy.js";

/** The running server and what the tests ask it. */
export interface ClusterPrometheus {
  server: Prometheus;
  /** Active (pending or firing) alerts named `name` whose labels include `labels`. */
  alerts(name: string, labels?: Record<string, string>): Promise<ActiveAlert[]>;
  /** The sample values of an instant query, one per series. */
  values(expr: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `targets` ("podIP:port") through the egress proxy on `egressSocket`. */
export async function startClusterPrometheus(egressSocket: string, targets: readonly string[]): Promise<ClusterPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "netmedic-real-node-prometheus-"));
  const forwards: ClusterForward[] = [];
  let server: Prometheus | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= (async () => {
    await server?.stop();
    await Promise.all(forwards.map((f) => f.stop()));
    rmSync(dir, { recursive: true, force: true });
  })());
  try {
    for (const target of targets) forwards.push(await forwardToCluster(egressSocket, target));
    server = await startPrometheus({ dir, targets: forwards.map((f) => f.address), groups: shortenedGroups(loadRuleGroups(), "5s", "2s"), interval: "2s" });
  } catch (error) {
    await stop();
    throw error;
  }
  const running = server;
  return {
    server: running,
    alerts: (name, labels) => activeAlerts(running, name, labels),
    values: async (expr) => (await instantQuery(running, expr)).map((r) => r.value[1]),
    stop,
  };
}
