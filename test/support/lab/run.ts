// Process helpers for the node lab: argv arrays only, never a shell string.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

/** Outcome of one finished command: exit code (null when killed by a signal), captured output. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link run}: a hard timeout (the process group is SIGKILLed), stdin text, env overrides. */
export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  env?: Record<string, string>;
}

/** The namespaces of one lab host that a command enters, as nsenter flags. */
export type NsKinds = ReadonlyArray<"mount" | "net" | "uts" | "ipc" | "pid">;

const STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The environment lab children get: this process's, minus NODE_OPTIONS (jest's
 * --experimental-vm-modules must not leak into `node -e` helpers), with the sbin dirs on PATH.
 */
export function labEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  const path = env.PATH ?? "";
  env.PATH = path.includes("/usr/sbin") ? path : `${path}${path ? ":" : ""}${STANDARD_PATH}`;
  return env;
}

/** `nsenter --target PID --<kind>… --` prefix for argv, the way the agent enters a host. */
export function nsenterArgv(pid: number, kinds: NsKinds, argv: readonly string[]): string[] {
  return ["nsenter", "--target", String(pid), ...kinds.map((k) => `--${k}`), "--", ...argv];
}

/** Spawns argv detached (own process group, so a group kill reaches its children). */
export function spawnDetached(argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error("spawnDetached: empty argv");
  return spawn(cmd, args, { env: labEnv(), ...options, detached: true });
}

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = "SIGKILL"): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

/** Runs argv to completion and captures its output; rejects only if it cannot be started. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnDetached(argv, {
      env: labEnv(options.env),
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[lab] killed after ${options.timeoutMs} ms: ${argv.join(" ")}`;
      killGroup(child.pid);
    }, options.timeoutMs ?? 30_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like {@link run} but throws with the command's stderr when it exits non-zero. */
export async function mustRun(argv: readonly string[], options: RunOptions = {}): Promise<string> {
  const r = await run(argv, options);
  if (r.code !== 0) {
    throw new Error(`lab: \`${argv.join(" ")}\` exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

/** Polls check() every intervalMs until it returns a value other than undefined, or throws on timeout. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`lab: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
