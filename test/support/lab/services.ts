// Daemons the lab runs inside its namespaces: the worker's own D-Bus system bus and real firewalld,
// and the controller's TCP listeners. All join their host's PID namespace (`nsenter --pid`), so they
// die with the holder.
import { existsSync, openSync, closeSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { nsenterArgv, run, spawnDetached, waitFor } from "./run.js";
import type { ScratchLayout } from "./mounts.js";

const WORKER_NS = ["mount", "net", "uts", "ipc"] as const;

/** Spawns a daemon in the worker (or another host) with stdout+stderr appended to logs/<name>.log. */
function spawnDaemon(pid: number, kinds: readonly ("mount" | "net" | "uts" | "ipc")[], argv: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, "a");
  try {
    const child = spawnDetached(nsenterArgv(pid, [...kinds, "pid"], argv), { stdio: ["ignore", fd, fd] });
    child.on("error", () => undefined);
    child.unref(); // the holder's end takes it down; it must not keep the test process alive
    return child;
  } finally {
    closeSync(fd);
  }
}

/** Starts the worker's system bus (standard socket /run/dbus/system_bus_socket, in scratch /run). */
export async function startDbus(worker: number, s: ScratchLayout): Promise<ChildProcess> {
  const child = spawnDaemon(worker, WORKER_NS, ["dbus-daemon", "--system", "--nofork", "--nopidfile"], join(s.logs, "dbus.log"));
  await waitFor("the lab's D-Bus socket", 10_000, () => {
    if (child.exitCode !== null) throw new Error(`lab: dbus-daemon exited ${child.exitCode}, see ${s.logs}/dbus.log`);
    return existsSync(join(s.run, "dbus", "system_bus_socket")) || undefined;
  });
  return child;
}

/**
 * Starts real firewalld (the machine's package, default config from the overlaid /etc/firewalld,
 * nftables backend) on the worker's bus and waits until `firewall-cmd --state` says running.
 */
export async function startFirewalld(worker: number, s: ScratchLayout): Promise<ChildProcess> {
  const child = spawnDaemon(worker, WORKER_NS, ["firewalld", "--nofork", "--nopid"], join(s.logs, "firewalld.log"));
  await waitFor("firewalld to run", 60_000, async () => {
    if (child.exitCode !== null) throw new Error(`lab: firewalld exited ${child.exitCode}, see ${s.logs}/firewalld.log`);
    const r = await run(nsenterArgv(worker, [...WORKER_NS, "pid"], ["firewall-cmd", "--state"]), { timeoutMs: 10_000 });
    return r.code === 0 && r.stdout.trim() === "running" ? true : undefined;
  }, 100);
  return child;
}

// Fixed program: a TCP listener per port in argv; answers any request with a tiny HTTP 200.
const LISTENER = `
const net = require("net");
process.stdin.on("end", () => process.exit(0)).resume();
for (const port of process.argv.slice(1)) {
  net.createServer((s) => {
    s.on("error", () => {});
    s.setTimeout(30000, () => s.destroy());
    s.once("data", () => s.end("HTTP/1.1 200 OK\\r\\ncontent-length: 3\\r\\nconnection: close\\r\\n\\r\\nok\\n"));
  }).listen(Number(port), "0.0.0.0", () => process.stdout.write("listening " + port + "\\n"));
}
`;

/** Starts TCP listeners on the control host (raw Node `net`, no DNS), resolving once all listen. */
export async function startListeners(control: number, ports: readonly number[]): Promise<ChildProcess> {
  const child = spawnDetached(nsenterArgv(control, ["net", "uts", "ipc", "pid"], [process.execPath, "-e", LISTENER, "--", ...ports.map(String)]), {
    stdio: ["pipe", "pipe", "inherit"],
  });
  child.on("error", () => undefined);
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
  await waitFor(`control listeners on ${ports.join(",")}`, 10_000, () => {
    if (child.exitCode !== null) throw new Error(`lab: control listeners exited ${child.exitCode}`);
    return ports.every((p) => out.includes(`listening ${p}\n`)) || undefined;
  });
  child.unref();
  for (const stream of [child.stdin, child.stdout]) (stream as Socket | null)?.unref();
  return child;
}
