/**
 * A real Prometheus server (Debian's 2.42, `npm run monitoring:install`) for the tests: on loopback,
 * with a scratch data directory, scraping the given targets as deploy/monitoring's ServiceMonitor
 * describes (`/metrics`, job `netmedic-metrics`) and evaluating the given rule groups. Stopped by PID.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";
import { writeRuleFile, type RuleGroup } from "../../../scripts/monitoring/rules.js";
import { eventually, startProcess, type RunningProcess } from "../e2e/processes.js";

/** What the server scrapes and evaluates, and how often. */
export interface PrometheusOptions {
  /** A directory of the test's own: config, rules, data and log go there. */
  dir: string;
  /** `host:port` of each controller replica. */
  targets: string[];
  groups: RuleGroup[];
  /** Scrape and evaluation interval, e.g. "1s" (the shipped ServiceMonitor scrapes every 30 s). */
  interval: string;
}

/** A running server and its HTTP API. */
export interface Prometheus {
  url: string;
  process: RunningProcess;
  /** `GET /api/v1/<path>`; throws unless Prometheus answers `status: success`. */
  api<T>(path: string, params?: Record<string, string>): Promise<T>;
  stop(): Promise<number | null>;
}

/** A loopback port free right now (Prometheus cannot report the port it got for :0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no loopback port");
  return address.port;
}

function writeConfig(options: PrometheusOptions): string {
  const rules = join(options.dir, "netmedic.rules.yaml");
  writeRuleFile(rules, options.groups);
  const config = {
    global: { scrape_interval: options.interval, evaluation_interval: options.interval },
    rule_files: [rules],
    // The job is named as the Prometheus Operator names it from the ServiceMonitor: after its Service.
    scrape_configs: [{ job_name: "netmedic-metrics", metrics_path: "/metrics", static_configs: [{ targets: options.targets }] }],
  };
  const path = join(options.dir, "prometheus.yml");
  writeFileSync(path, stringify(config));
  return path;
}

/** Starts `prometheus` and waits until it is ready; fails with its log if it exits. */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const data = join(options.dir, "data");
  mkdirSync(data, { recursive: true });
  const port = await freePort();
  const argv = ["prometheus", `--config.file=${writeConfig(options)}`, `--storage.tsdb.path=${data}`,
    `--web.listen-address=127.0.0.1:${port}`, "--storage.tsdb.retention.time=1h", "--log.level=warn"];
  const proc = startProcess("prometheus", argv, options.dir);
  const url = `http://127.0.0.1:${port}`;
  await eventually("Prometheus to be ready", async () => {
    if (proc.child.exitCode !== null) throw new Error(`prometheus exited ${proc.child.exitCode}: ${proc.output().slice(-800)}`);
    return (await fetch(`${url}/-/ready`)).ok;
  }, 30_000);
  return {
    url, process: proc,
    async api<T>(path: string, params: Record<string, string> = {}) {
      const response = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params)}`);
      const body = await response.json() as { status: string; data: T; error?: string };
      if (body.status !== "success") throw new Error(`prometheus ${path} ${JSON.stringify(params)}: ${body.error ?? response.status}`);
      return body.data;
    },
    stop: () => proc.stop(),
  };
}

/** One alert as `GET /api/v1/alerts` lists it. */
export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "pending" | "firing";
}

/** The active (pending or firing) alerts named `name` whose labels include `labels`. */
export async function activeAlerts(prometheus: Prometheus, name: string, labels: Record<string, string> = {}): Promise<ActiveAlert[]> {
  const { alerts } = await prometheus.api<{ alerts: ActiveAlert[] }>("alerts");
  return alerts.filter((a) => a.labels["alertname"] === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v));
}

/** An instant query's result vector. */
export async function instantQuery(prometheus: Prometheus, expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const data = await prometheus.api<{ resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> }>("query", { query: expr });
  return data.resultType === "vector" ? data.result : [];
}
