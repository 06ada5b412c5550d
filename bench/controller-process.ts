/**
 * `netmedic controller` as a child process of the bench: compiled JavaScript (built once per bench
 * run into node_modules/.cache, so the repo's dist/ is left to its owners), falling back to
 * `node --import tsx` when the build fails. With a queue rate given, bench/controller-entry.ts runs
 * the same controller with that rate (the CLI cannot set it). Stopped by PID, never by name.
 */
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort, startProcess, stopProcess, type ManagedProcess } from "../test/support/control-plane/processes.js";
import { fetchText, parseMetrics, processUsage, type ProcessUsage } from "./lib.js";

const BUILD_DIR = resolve("node_modules/.cache/netmedic-bench/dist");
let compiled: boolean | undefined;

/** Compiles src/cli/main.ts, the dialer program and bench/controller-entry.ts once; false (tsx is used) when that fails. */
export function buildOnce(): boolean {
  if (compiled !== undefined) return compiled;
  try {
    execFileSync("npx", ["tsc", "--outDir", BUILD_DIR, "--rootDir", ".", "--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext",
      "--strict", "--skipLibCheck", "--esModuleInterop", "--resolveJsonModule", "--types", "node", "src/cli/main.ts", "src/probe/dial-main.ts", "bench/controller-entry.ts"], { stdio: "ignore" });
    compiled = existsSync(join(BUILD_DIR, "src/cli/main.js")) && existsSync(join(BUILD_DIR, "bench/controller-entry.js"));
  } catch {
    compiled = false;
  }
  return compiled;
}

/** argv prefix of the netmedic CLI (compiled when possible, else tsx). */
export function netmedicCli(): string[] {
  return buildOnce() ? [process.execPath, join(BUILD_DIR, "src/cli/main.js")] : [process.execPath, "--import", "tsx", resolve("src/cli/main.ts")];
}

/** argv of the controller: the shipped CLI, or the bench entry when a queue rate is given. */
function controllerCommand(withQueueRate: boolean): string[] {
  const script = withQueueRate ? "bench/controller-entry" : "src/cli/main";
  const prefix = buildOnce() ? [process.execPath, join(BUILD_DIR, `${script}.js`)] : [process.execPath, "--import", "tsx", resolve(`${script}.ts`)];
  return withQueueRate ? prefix : [...prefix, "controller"];
}

/** A running controller child. */
export interface ControllerChild {
  pid: number;
  port: number;
  logPath: string;
  /** The controller's /metrics, parsed. */
  metrics(): Promise<Map<string, number>>;
  usage(): ProcessUsage | undefined;
  stop(): Promise<void>;
}

/** Starts `netmedic controller` against `kubeconfigPath` with `configYaml` (and a queue rate); logs go to `dir`. */
export async function startControllerChild(dir: string, kubeconfigPath: string, configYaml: string, queue?: { qps: number; burst: number }): Promise<ControllerChild> {
  const configPath = join(dir, "netmedic-bench-config.yaml");
  writeFileSync(configPath, configYaml);
  const port = await freePort();
  const argv = [...controllerCommand(queue !== undefined), "--kubeconfig", kubeconfigPath, "--config", configPath, "--namespace", "netmedic",
    "--listen", `127.0.0.1:${port}`, "--log-level", "warn", "--identity", "bench"];
  const env = queue ? { ...process.env, NETMEDIC_BENCH_QPS: String(queue.qps), NETMEDIC_BENCH_BURST: String(queue.burst) } : process.env;
  const child: ManagedProcess = startProcess("netmedic-controller", argv, join(dir, "netmedic-controller.log"), env);
  return {
    pid: child.pid, port, logPath: child.logPath,
    metrics: async () => parseMetrics(await fetchText(`http://127.0.0.1:${port}/metrics`)),
    usage: () => processUsage(child.pid),
    stop: () => stopProcess(child, 10_000),
  };
}

/** Resolves once /readyz answers 200-ish text "ok" or the deadline passes. */
export async function waitForListening(child: ControllerChild, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetchText(`http://127.0.0.1:${child.port}/healthz`);
      return;
    } catch {
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  throw new Error(`controller did not listen within ${timeoutMs} ms; see ${child.logPath}`);
}
