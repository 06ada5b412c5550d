/**
 * Real netmedic processes for the end-to-end tests: `node --import tsx src/cli/main.ts <command>`,
 * stdout and stderr captured to a file per process, stopped by PID (SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root (this file is test/support/e2e/processes.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** argv that runs `netmedic <args…>` from the TypeScript sources, as production runs dist/. */
export function netmedicArgv(...args: string[]): string[] {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return [process.execPath, "--import", tsx, join(REPO_ROOT, "src/cli/main.ts"), ...args];
}

/** A running process whose output goes to `logFile`. */
export interface RunningProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** Everything the process printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves with the exit code once it has exited. */
  exited: Promise<number | null>;
  /** SIGTERM by PID, SIGKILL after `graceMs`; resolves with the exit code (idempotent). */
  stop(graceMs?: number): Promise<number | null>;
}

const running = new Set<RunningProcess>();

/** Stops every process started here that is still running (e.g. one still starting up when Ctrl-C came). */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((proc) => proc.stop()));
}

/** Spawns a child with `argv`; how is `spawner` (default: a plain spawn; pass `lab.spawnIn` for a lab host). */
export type Spawner = (argv: string[], options: SpawnOptions) => ChildProcess;

const plainSpawn: Spawner = (argv, options) => spawn(argv[0] ?? "", argv.slice(1), options);

/** Starts `argv` with its output appended to `${dir}/${name}.log`. */
export function startProcess(name: string, argv: string[], dir: string, spawner: Spawner = plainSpawn): RunningProcess {
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawner(argv, { cwd: REPO_ROOT, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (!child.pid) throw new Error(`${name}: could not start ${argv[0] ?? ""}`);
  const pid = child.pid;
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    child.once("exit", (code) => resolve(code));
  });
  child.on("error", () => undefined);
  let stopping: Promise<number | null> | undefined;
  const proc: RunningProcess = {
    name, pid, child, logFile, exited,
    output: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        signal(pid, "SIGTERM");
        const timer = setTimeout(() => signal(pid, "SIGKILL"), graceMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      })();
      return stopping;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined/false; throws naming `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until the process has printed `marker`; fails early if it exits. */
export async function waitForOutput(proc: RunningProcess, marker: string, timeoutMs = 30_000): Promise<void> {
  await eventually(`"${marker}" from ${proc.name}`, () => {
    if (proc.output().includes(marker)) return true;
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited ${proc.child.exitCode}: ${proc.output().slice(-800)}`);
    return undefined;
  }, timeoutMs, 100);
}
