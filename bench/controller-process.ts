/**
 * `netmedic controller` as a child process of the bench: compiled JavaScript (built once per bench
 * run into node_modules/.cache, so the repo's dist/ is left to its owners), falling back to
 * `node --import tsx` when the build fails. The shipped CLI, unmodified: the API rate and the
 * number of workers come from its config (`reconcile:`). Stopped by PID, never by name.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { freePort, startProcess, stopProcess, type ManagedProcess } from "../test/support/control-plane/processes.js";
import { fetchText, parseMetrics, processUsage, type ProcessUsage } from "./lib.js";

const BUILD_DIR = resolve("node_modules/.cache/netmedic-bench/dist");
let compiled: boolean | undefined;

/** Compiles src/cli/main.ts and the dialer program once; false (tsx is used) when that fails. */
export function buildOnce(): boolean {
  if (compiled !== undefined) return compiled;
  try {
    execFileSync("npx", ["tsc", "--outDir", BUILD_DIR, "--rootDir", ".", "--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext",
      "--strict", "--skipLibCheck", "--esModuleInterop", "--resolveJsonModule", "--types", "node", "src/cli/main.ts", "src/dial/dial-main.ts"], { stdio: "ignore" });
    compiled = existsSync(join(BUILD_DIR, "src/cli/main.js"));
  } catch {
    compiled = false;
  }
  return compiled;
}

/** argv prefix of the netmedic CLI (compiled when possible, else tsx), with `nodeFlags` on node's own command line. */
export function netmedicCli(nodeFlags: readonly string[] = []): string[] {
  const script = buildOnce() ? [join(BUILD_DIR, "src/cli/main.js")] : ["--import", "tsx", resolve("src/cli/main.ts")];
  return [process.execPath, ...nodeFlags, ...script];
}

/** A running controller child. */
export interface ControllerChild {
  pid: number;
  port: number;
  logPath: string;
  /** The controller's /metrics, parsed. */
  metrics(): Promise<Map<string, number>>;
  usage(): ProcessUsage | undefined;
  /** The exit code once the process has ended on its own (a crash, a refused config); undefined while it runs. */
  exitCode(): number | null | undefined;
  stop(): Promise<void>;
}

interface ManifestContainer {
  env?: Array<{ name: string; value?: string }>;
}

/**
 * The environment deploy/50-controller.yaml gives the controller's container (entries with a literal
 * value: NODE_OPTIONS, the malloc settings), so the bench measures the controller as it ships.
 */
export function shippedControllerEnv(): Record<string, string> {
  const documents = parseAllDocuments(readFileSync(resolve("deploy/50-controller.yaml"), "utf8")).map((document) => document.toJS() as {
    kind?: string; spec?: { template?: { spec?: { containers?: ManifestContainer[] } } };
  });
  const container = documents.find((document) => document?.kind === "Deployment")?.spec?.template?.spec?.containers?.[0];
  if (!container) throw new Error("deploy/50-controller.yaml: no Deployment container");
  return Object.fromEntries((container.env ?? []).flatMap(({ name, value }) => (value === undefined ? [] : [[name, value]])));
}

/**
 * Starts `netmedic controller` against `kubeconfigPath` with `configYaml`, `env` over the bench's
 * own (e.g. shippedControllerEnv()); `nodeFlags` such as `--cpu-prof`, which NODE_OPTIONS refuses,
 * go on node's own command line; logs go to `dir`.
 */
export async function startControllerChild(dir: string, kubeconfigPath: string, configYaml: string, env: Record<string, string> = {}, nodeFlags: readonly string[] = []): Promise<ControllerChild> {
  const configPath = join(dir, "netmedic-bench-config.yaml");
  writeFileSync(configPath, configYaml);
  const port = await freePort();
  const argv = [...netmedicCli(nodeFlags), "controller", "--kubeconfig", kubeconfigPath, "--config", configPath, "--namespace", "netmedic",
    "--listen", `127.0.0.1:${port}`, "--log-level", "warn", "--identity", "bench"];
  // The shipped webhook listens on every interface (:9443); the bench's controller keeps it on loopback.
  const webhook = env["NETMEDIC_WEBHOOK_LISTEN"] ? { NETMEDIC_WEBHOOK_LISTEN: `127.0.0.1:${await freePort()}` } : {};
  const child: ManagedProcess = startProcess("netmedic-controller", argv, join(dir, "netmedic-controller.log"), { ...process.env, ...env, ...webhook });
  return {
    pid: child.pid, port, logPath: child.logPath,
    metrics: async () => parseMetrics(await fetchText(`http://127.0.0.1:${port}/metrics`)),
    usage: () => processUsage(child.pid),
    exitCode: () => child.child.exitCode ?? (child.child.signalCode === null ? undefined : null),
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
