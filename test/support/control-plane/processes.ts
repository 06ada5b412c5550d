/**
 * Child processes of the control plane: each started in its own process group, logged to a file,
 * and stopped by PID (the whole group), never by name.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { createServer } from "node:net";

/** A started server process and how to stop it. */
export interface ManagedProcess {
  name: string;
  pid: number;
  argv: string[];
  logPath: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * Starts `argv` detached in a new process group, stdout/stderr appended to `logPath`. The process
 * gets SIGKILL if the starting process dies (setpriv --pdeathsig), so nothing outlives a killed Jest.
 */
export function startProcess(name: string, argv: string[], logPath: string, env: NodeJS.ProcessEnv = process.env): ManagedProcess {
  const fd = openSync(logPath, "a");
  const [command, ...args] = ["setpriv", "--pdeathsig", "KILL", "--", ...argv];
  const child = spawn(command ?? "", args, { detached: true, stdio: ["ignore", fd, fd], env });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { name, pid: child.pid, argv, logPath, child, exited };
}

/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export async function stopProcess(managed: ManagedProcess, graceMs = 5000): Promise<void> {
  if (managed.child.exitCode !== null || managed.child.signalCode !== null) return;
  signalGroup(managed.pid, "SIGTERM");
  const timer = setTimeout(() => signalGroup(managed.pid, "SIGKILL"), graceMs);
  await managed.exited;
  clearTimeout(timer);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
