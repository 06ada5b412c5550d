/**
 * `netmedic controller` for the bench with one extra knob: the work queue's rate. The shipped CLI
 * has no flag or config key for it (DEFAULT_WORK_QUEUE_OPTIONS: 20 keys/s after a burst of 200),
 * so this entry parses the same flags, then starts the same controller with `queue` from
 * NETMEDIC_BENCH_QPS / NETMEDIC_BENCH_BURST, and shuts down on SIGTERM like runController.
 */
import { startController } from "../src/controller/controller.js";
import { parseControllerFlags } from "../src/controller/flags.js";
import { createControllerLogger } from "../src/controller/logger.js";
import { DEFAULT_WORK_QUEUE_OPTIONS } from "../src/controller/work-queue.js";
import { loadKubeConfig } from "../src/k8s/kubeconfig.js";

/** Runs the controller until SIGTERM/SIGINT with the queue rate from the environment. */
export async function runBenchController(argv: string[]): Promise<void> {
  const flags = parseControllerFlags(argv);
  const qps = Number(process.env["NETMEDIC_BENCH_QPS"] ?? DEFAULT_WORK_QUEUE_OPTIONS.qps);
  const burst = Number(process.env["NETMEDIC_BENCH_BURST"] ?? DEFAULT_WORK_QUEUE_OPTIONS.burst);
  const logger = createControllerLogger(flags.logLevel);
  const controller = await startController({
    ...flags, kubeConfig: loadKubeConfig(flags.kubeconfig), logger, queue: { ...DEFAULT_WORK_QUEUE_OPTIONS, qps, burst },
  });
  logger.warn({ qps, burst }, "bench controller started");
  await new Promise((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await controller.stop();
}

await runBenchController(process.argv.slice(2));
