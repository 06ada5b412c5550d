/**
 * The agent's only way onto the host: every command runs inside the namespaces of a target PID
 * (`nsenter --target PID --mount --net --uts --ipc -- argv`), as an argv array (never a shell
 * string), from an allowlist of programs, with a hard timeout, a clean environment and capped
 * output. With --host-pid 1 that is the node; in tests it is a namespace lab's holder.
 */
import { spawn } from "node:child_process";

/** Outcome of one host command. `code` is null when it was killed (timeout). */
export interface HostCommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Options of one host command. */
export interface HostCommandOptions {
  timeoutMs?: number;
  /** Text written to the command's stdin (file contents travel here, never in argv). */
  input?: string;
}

/** Programs the agent may run on the host, by name (resolved on the host's PATH). */
export const HOST_PROGRAMS: ReadonlySet<string> = new Set([
  "firewall-cmd", "ufw", "sysctl", "ip", "modprobe", "systemctl", "ethtool", "iptables-legacy-save", "iptables-nft-save",
  "cat", "grep", "stat", "test", "cp", "mv", "rm", "dd", "install",
]);

/** The environment host commands get: nothing of the agent's own (no tokens, no KUBECONFIG). */
const HOST_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C", LC_ALL: "C" };
const MAX_OUTPUT_CHARS = 1 << 20;

/** Thrown for an argv the executor refuses to run (never reaches the host). */
export class HostArgvError extends Error {}

/** Rejects argv elements that cannot be a single clean argument (NUL bytes, newlines, empty). */
export function checkArgv(argv: readonly string[]): void {
  if (argv.length === 0) throw new HostArgvError("empty argv");
  for (const arg of argv) {
    if (typeof arg !== "string" || arg.length === 0 || arg.length > 4096 || /[\0\n\r]/.test(arg)) {
      throw new HostArgvError(`refusing argument ${JSON.stringify(String(arg).slice(0, 40))}`);
    }
  }
}

/** Runs commands inside a target PID's namespaces. */
export class HostExecutor {
  constructor(readonly hostPid: number, private readonly defaultTimeoutMs = 20_000) {
    if (!Number.isInteger(hostPid) || hostPid < 1) throw new HostArgvError(`invalid host PID ${hostPid}`);
  }

  /** Runs an allowlisted host program in all the host's namespaces (mount, net, uts, ipc). */
  run(argv: readonly string[], options: HostCommandOptions = {}): Promise<HostCommandResult> {
    checkArgv(argv);
    if (!HOST_PROGRAMS.has(argv[0] ?? "")) throw new HostArgvError(`program ${JSON.stringify(argv[0])} is not allowlisted`);
    return this.spawnIn(["--mount", "--net", "--uts", "--ipc"], argv, options);
  }

  /**
   * Runs one of the agent's own programs (given by absolute path, e.g. this Node binary and the
   * dialer) in the host's network namespace only: files stay the agent's, the network is the host's.
   */
  runInNetwork(argv: readonly string[], options: HostCommandOptions = {}): Promise<HostCommandResult> {
    checkArgv(argv);
    if (!argv[0]?.startsWith("/")) throw new HostArgvError("network-namespace programs must be absolute paths");
    return this.spawnIn(["--net"], argv, options);
  }

  private spawnIn(kinds: string[], argv: readonly string[], options: HostCommandOptions): Promise<HostCommandResult> {
    const full = ["--target", String(this.hostPid), ...kinds, "--", ...argv];
    return new Promise((resolve, reject) => {
      const child = spawn("nsenter", full, {
        env: HOST_ENV, detached: true,
        stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let timedOut = false;
      child.stdout?.setEncoding("utf8").on("data", (d: string) => { if (stdout.length < MAX_OUTPUT_CHARS) stdout += d; });
      child.stderr?.setEncoding("utf8").on("data", (d: string) => { if (stderr.length < MAX_OUTPUT_CHARS) stderr += d; });
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, options.timeoutMs ?? this.defaultTimeoutMs);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, timedOut });
      });
      if (options.input !== undefined) {
        child.stdin?.on("error", () => undefined); // the command may exit before reading all input
        child.stdin?.end(options.input);
      }
    });
  }
}

/** Kills a command's whole process group (it was spawned detached), by its PID. */
function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** A host command that did not succeed, with what it said (stderr is safe: never file contents). */
export class HostCommandError extends Error {
  constructor(readonly argv: readonly string[], readonly result: HostCommandResult) {
    const said = result.stderr.trim().split("\n").slice(-2).join("; ").slice(0, 300);
    super(`${argv.slice(0, 3).join(" ")}${argv.length > 3 ? " …" : ""} ${result.timedOut ? "timed out" : `exited ${result.code}`}${said ? `: ${said}` : ""}`);
  }
}

/** Runs and throws HostCommandError unless it exits 0; returns stdout. */
export async function mustRun(host: HostExecutor, argv: readonly string[], options?: HostCommandOptions): Promise<string> {
  const result = await host.run(argv, options);
  if (result.code !== 0) throw new HostCommandError(argv, result);
  return result.stdout;
}
