#!/usr/bin/env node
/**
 * The one netmedic binary: `netmedic <command> [flags]`. Every failure that is the user's input
 * (bad flags, unreadable or malformed files) ends as one line on stderr and a non-zero exit code,
 * never a stack trace.
 */
import { fileURLToPath } from "node:url";
import { runDiagnose, UsageError } from "./diagnose.js";
import { runDemo } from "./demo.js";
import { SnapshotError } from "./snapshot.js";
import { runController } from "../controller/main.js";
import { runAgent } from "../agent/main.js";
import { runProbe } from "../probe/main.js";

const USAGE = `usage: netmedic <command> [flags]
  diagnose  --snapshot FILE | --kubeconfig PATH   [-o text|json|yaml]   one-shot diagnosis, never writes
  demo                                              diagnose the bundled example incidents
  controller [--kubeconfig PATH] [--namespace NS] [--config FILE] [--listen ADDR]    leader-elected reconciler
  agent --node-name NAME [--host-pid PID] [--kubeconfig PATH]                    per-node facts, probes, actions
  probe --listen IP:PORT [--allow CIDR]                                          pod-network dialer for the agent`;

type Command = (argv: string[]) => Promise<number>;

const write = (text: string) => void process.stdout.write(text);

const COMMANDS: Record<string, Command> = {
  diagnose: (argv) => runDiagnose(argv, write),
  demo: () => runDemo(write),
  controller: runController,
  agent: runAgent,
  probe: runProbe,
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
    const known = error instanceof UsageError || error instanceof SnapshotError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(`netmedic ${command}: ${(error as Error).message}\n`);
    return known ? 2 : 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
