#!/usr/bin/env node
/**
 * The one netmedic binary: `netmedic <command> [flags]`. Every failure that is the user's input
 * (bad flags, unreadable or malformed files) ends as one line on stderr and a non-zero exit code,
 * never a stack trace.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { asUsageError } from "../core/flags.js";
import { SnapshotError } from "./errors.js";

const USAGE = `usage: netmedic <command> [flags]
  diagnose  --snapshot FILE | --kubeconfig PATH   [-o text|json|yaml]   one-shot diagnosis, never writes
  demo                                              diagnose the bundled example incidents
  controller [--kubeconfig PATH] [--namespace NS] [--config FILE] [--listen ADDR]    leader-elected reconciler
  agent --node-name NAME [--host-pid PID] [--kubeconfig PATH]                    per-node facts, probes, actions
  probe --listen IP:PORT [--allow CIDR]                                          pod-network dialer for the agent`;

type Command = (argv: string[]) => Promise<number>;

const write = (text: string) => void process.stdout.write(text);

// Each command's module is imported only when that command runs: @kubernetes/client-node alone
// costs ~80 MB RSS, and the agent (on every node) and the probe never use it.
const COMMANDS: Record<string, Command> = {
  diagnose: async (argv) => (await import("./diagnose.js")).runDiagnose(argv, write),
  demo: async () => (await import("./demo.js")).runDemo(write),
  controller: async (argv) => (await import("../controller/main.js")).runController(argv),
  agent: async (argv) => (await import("../agent/main.js")).runAgent(argv),
  probe: async (argv) => (await import("../probe/main.js")).runProbe(argv),
};

/** Runs `netmedic` with the given arguments (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`netmedic: unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (error) {
    const known = asUsageError(error) !== undefined || error instanceof SnapshotError;
    process.stderr.write(`netmedic ${command}: ${(error as Error).message}\n`);
    return known ? 2 : 1;
  }
}

/**
 * Whether node was started with this module. argv[1] is the path as typed, which may be a symlink
 * (npm's bin link, /usr/local/bin/netmedic), while import.meta.url is the real path: comparing them
 * unresolved made a symlinked `netmedic` do nothing and exit 0.
 */
function startedAsProgram(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (startedAsProgram()) {
  process.exitCode = await main(process.argv.slice(2));
}
