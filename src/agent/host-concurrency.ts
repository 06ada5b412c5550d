/**
 * Bounded concurrency for host processes. The agent shares small nodes (2 cores) with their
 * workloads: independent readers and firewall-cmd changes overlap, but only a few host processes
 * run at once — more only queue for the same cores.
 */
import type { HostExecutor } from "./host-executor.js";

/** A counting semaphore: `use` runs a task once fewer than `limit` run, first come first served. */
export class Slots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`invalid concurrency limit ${limit}`);
  }

  /** Runs `task` in a slot; the slot is freed when it settles, whatever the outcome. */
  async use<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}

/**
 * The same executor with at most `limit` of its `run` commands at once (the rest queue in call
 * order). Everything else (runInNetwork, hostPid) is the executor's own.
 */
export function limitedHost(host: HostExecutor, limit: number): HostExecutor {
  const slots = new Slots(limit);
  const limited = Object.create(host) as HostExecutor;
  limited.run = (argv, options) => slots.use(() => host.run(argv, options));
  return limited;
}

/**
 * Runs every task, at most `limit` at once, and waits until all have settled; then throws the
 * first failure in task order (so a caller's rollback sees every change that did land), else
 * returns the results in task order.
 */
export async function settleAll<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const slots = new Slots(limit);
  const outcomes = await Promise.allSettled(tasks.map((task) => slots.use(task)));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failed) throw failed.reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<T>).value);
}
