/**
 * Bounded concurrency for host processes. The agent shares small nodes (2 cores) with their
 * workloads: independent readers and firewall-cmd changes overlap, but only a few host processes
 * run at once — more only queue for the same cores. The queue is p-limit's (first come, first
 * served; a task's slot is freed however it settles).
 */
import pLimit from "p-limit";
import type { HostExecutor } from "./host-executor.js";

/**
 * The same executor with at most `limit` of its `run` commands at once (the rest queue in call
 * order). Everything else (runInNetwork, hostPid) is the executor's own. Throws on a limit below 1.
 */
export function limitedHost(host: HostExecutor, limit: number): HostExecutor {
  const slots = pLimit(limit);
  const limited = Object.create(host) as HostExecutor;
  limited.run = (argv, options) => slots(() => host.run(argv, options));
  return limited;
}

/**
 * Runs every task, at most `limit` at once, and waits until all have settled; then throws the
 * first failure in task order (so a caller's rollback sees every change that did land), else
 * returns the results in task order. Throws on a limit below 1.
 */
export async function settleAll<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const slots = pLimit(limit);
  const outcomes = await Promise.allSettled(tasks.map((task) => slots(task)));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failed) throw failed.reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<T>).value);
}
