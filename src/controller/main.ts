/**
 * `netmedic controller`: parses flags, starts the controller, runs until SIGTERM/SIGINT, then
 * shuts down in order (stop reconciling and drain, release the Lease, stop watching) and exits 0.
 * Bad flags, an unloadable kubeconfig or an invalid config end as ONE line on stderr and a
 * non-zero exit code, before anything starts.
 */
import { setFlagsFromString } from "node:v8";
import { loadKubeConfig } from "../k8s/kubeconfig.js";
import { ConfigError } from "./config/config.js";
import { startController, type ControllerOptions, type RunningController } from "./controller.js";
import { CONTROLLER_USAGE, parseControllerFlags, type ControllerFlags } from "./config/flags.js";
import { asUsageError } from "../core/flags.js";
import { createControllerLogger } from "./logger.js";
import { startNodeIdentityWebhook } from "./admission/node-identity-webhook.js";

/** Exit codes: 0 clean shutdown, 1 failed to start, 2 bad usage. */
const EXIT_OK = 0;
const EXIT_START_FAILED = 1;
const EXIT_USAGE = 2;

function fail(message: string, code: number): number {
  process.stderr.write(`netmedic controller: ${message}\n`);
  return code;
}

function readFlags(argv: string[]): ControllerFlags | number {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${CONTROLLER_USAGE}\n`);
    return EXIT_OK;
  }
  try {
    return parseControllerFlags(argv);
  } catch (error) {
    const usage = asUsageError(error);
    if (!usage) throw error;
    return fail(`${usage.message}\n${CONTROLLER_USAGE}`, EXIT_USAGE);
  }
}

/** Resolves on the first SIGTERM or SIGINT. */
function terminationSignal(): Promise<string> {
  return new Promise((resolve) => {
    const handler = (signal: string) => {
      process.off("SIGTERM", handler);
      process.off("SIGINT", handler);
      resolve(signal);
    };
    process.on("SIGTERM", handler);
    process.on("SIGINT", handler);
  });
}

/**
 * V8 flags the controller sets on itself. `--optimize-for-size` makes V8 grow the heap in smaller
 * steps and collect sooner, which lowers the controller's peak RSS at fleet scale without costing
 * CPU (figures in bench/RESULTS.md, the Scale section on memory). V8 reads it at each GC, so
 * setting it here works; NODE_OPTIONS refuses the flag (the agent does the same, agent/main.ts).
 */
const CONTROLLER_V8_FLAGS = "--optimize-for-size";

/** Runs `netmedic controller` with `argv` (after the command); resolves to the exit code. */
export async function runController(argv: string[]): Promise<number> {
  setFlagsFromString(CONTROLLER_V8_FLAGS);
  const flags = readFlags(argv);
  if (typeof flags === "number") return flags;
  const signal = terminationSignal();
  let options: ControllerOptions;
  let controller: RunningController;
  let webhook: Awaited<ReturnType<typeof startNodeIdentityWebhook>>;
  try {
    options = { ...flags, kubeConfig: loadKubeConfig(flags.kubeconfig), logger: createControllerLogger(flags.logLevel) };
    // Every replica serves the node-identity webhook, leader or not (admission/node-identity-webhook.ts);
    // first, so a port it cannot bind ends the start before anything runs, like a bad --listen.
    webhook = await startNodeIdentityWebhook({ kubeConfig: options.kubeConfig, namespace: flags.namespace, logger: options.logger });
    controller = await startController(options).catch(async (error: unknown) => {
      await webhook?.close();
      throw error;
    });
    webhook?.exportTo(controller.metrics.registry);
  } catch (error) {
    if (error instanceof ConfigError || /kubeconfig/.test((error as Error).message)) return fail((error as Error).message, EXIT_START_FAILED);
    return fail(`cannot start: ${(error as Error).message}`, EXIT_START_FAILED);
  }
  const received = await signal;
  options.logger.info({ signal: received }, "shutdown requested");
  await controller.stop();
  await webhook?.close();
  return EXIT_OK;
}
