/**
 * Shared pieces of the benches: child processes stopped by PID, /proc readings (peak RSS, CPU
 * seconds), Prometheus text parsing, the apiserver's own request counters, and a kubelet stand-in
 * serving konnectivity-agent logs over HTTPS on loopback (there are no kubelets).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { get as httpGet } from "node:http";
import { createServer as createHttpsServer, get as httpsGet, type RequestOptions } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Peak and current resident set size (MB) and CPU seconds (user + system) of a live process. */
export interface ProcessUsage {
  peakRssMb: number;
  rssMb: number;
  cpuSeconds: number;
}

/** Reads /proc/PID/status (VmHWM, VmRSS) and /proc/PID/stat (utime + stime); undefined once it exited. */
export function processUsage(pid: number): ProcessUsage | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { peakRssMb: kb("VmHWM") / 1024, rssMb: kb("VmRSS") / 1024, cpuSeconds: ticks / 100 };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds so far of each control-plane process whose command line names `marker` (the plane's
 * temp dir basename: the apiserver, controller-manager and scheduler flags and etcd's data dir all
 * contain it), keyed by program name. Read-only /proc scan; processes are told apart, never signalled.
 */
export function controlPlaneCpu(marker: string): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!argv.some((arg) => arg.includes(marker))) continue;
    const program = (argv[0] ?? "").split("/").pop() ?? "";
    if (!["kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler"].includes(program)) continue;
    seconds.set(program, (seconds.get(program) ?? 0) + (processUsage(Number(entry))?.cpuSeconds ?? 0));
  }
  return seconds;
}

/** Sums of samples of a Prometheus text exposition, keyed by "name{labels}" exactly as printed. */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** Sum of every sample of metric `name` whose labels match all of `labels`. */
export function metricSum(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, value] of samples) {
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([label, wanted]) => key.includes(`${label}="${wanted}"`))) total += value;
  }
  return total;
}

/** GET `url` (path and query), with `kubeConfig`'s credentials when given: the body, whatever the status. */
export async function fetchBytes(url: string, kubeConfig?: KubeConfig, timeoutMs = 15_000): Promise<Buffer> {
  const parsed = new URL(url);
  const options: RequestOptions = { hostname: parsed.hostname, port: parsed.port, path: `${parsed.pathname}${parsed.search}`, timeout: timeoutMs };
  if (kubeConfig) await kubeConfig.applyToHTTPSOptions(options);
  const get = parsed.protocol === "https:" ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const request = get(options, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve(Buffer.concat(chunks)));
    });
    request.on("timeout", () => request.destroy(new Error(`timeout GET ${url}`)));
    request.on("error", reject);
  });
}

/** GET `url` as text (see fetchBytes). */
export async function fetchText(url: string, kubeConfig?: KubeConfig): Promise<string> {
  return (await fetchBytes(url, kubeConfig)).toString();
}

/** apiserver_request_total by "VERB resource[/subresource]", read with the admin credentials. */
export async function apiserverRequests(admin: KubeConfig): Promise<Map<string, number>> {
  const samples = parseMetrics(await fetchText(`${admin.getCurrentCluster()?.server ?? ""}/metrics`, admin));
  const byVerb = new Map<string, number>();
  for (const [key, value] of samples) {
    if (!key.startsWith("apiserver_request_total{")) continue;
    const label = (name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(key)?.[1] ?? "";
    const resource = label("subresource") ? `${label("resource")}/${label("subresource")}` : label("resource");
    const id = `${label("verb")} ${resource}`;
    byVerb.set(id, (byVerb.get(id) ?? 0) + value);
  }
  return byVerb;
}

/** after − before, dropping zeros. */
export function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const result = new Map<string, number>();
  for (const [key, value] of after) {
    const change = value - (before.get(key) ?? 0);
    if (change > 0) result.set(key, change);
  }
  return result;
}

/** A kubelet stand-in on 127.0.0.1 answering /containerLogs/… with `logText` (self-signed cert). */
export async function startKubeletStandIn(logText: string): Promise<{ port: number; requests: () => number; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "netmedic-bench-kubelet-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    let served = 0;
    const server = createHttpsServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (request, response) => {
      served += 1;
      if (!request.url?.startsWith("/containerLogs/")) response.writeHead(404).end("not found");
      else response.writeHead(200, { "Content-Type": "text/plain" }).end(logText);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      port: (server.address() as AddressInfo).port,
      requests: () => served,
      close: () => new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `worker` over `items` with at most `concurrency` in flight. */
export async function pool<T>(items: readonly T[], concurrency: number, worker: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) await worker(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, run));
}

/** Median of numbers (NaN when empty). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
