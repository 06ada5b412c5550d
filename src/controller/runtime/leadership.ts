/**
 * What this replica does while it leads: one work queue and one reconcile loop (of `workers()`
 * workers, read at the start of the term) per leadership term. A term ends by shutting its queue
 * down and draining the reconciles in flight; a new term starts only after the previous one
 * drained, so two loops never write at once even when leadership flaps.
 */
import type { Logger } from "pino";
import type { ControllerMetrics } from "../metrics.js";
import type { ReconcileOutcome } from "../reconcile/node-reconciler.js";
import { ReconcileLoop } from "./reconcile-loop.js";
import { WorkQueue, type WorkQueueOptions } from "./work-queue.js";

/** What a term needs. */
export interface LeadershipDeps {
  queueOptions: WorkQueueOptions;
  reconcile: (name: string, log: Logger) => Promise<ReconcileOutcome>;
  reportTerminal: (name: string, description: string) => Promise<void>;
  /** How many reconcile workers a new term runs. */
  workers: () => number;
  /** Every node name (to enqueue at the start of a term). */
  allNodes: () => string[];
  metrics: ControllerMetrics;
  logger: Logger;
}

/** Starts and ends leadership terms; `enqueue` is a no-op while not leading. */
export class Leadership {
  private term: { queue: WorkQueue; loop: ReconcileLoop } | undefined;
  private transitions: Promise<void> = Promise.resolve();

  constructor(private readonly deps: LeadershipDeps) {}

  /** Whether a term is running. */
  get leading(): boolean {
    return this.term !== undefined;
  }

  /** Begins a term (after any previous one drained): every node is reconciled once. */
  begin(): Promise<void> {
    this.transitions = this.transitions.then(() => {
      if (this.term) return;
      const queue = new WorkQueue(this.deps.queueOptions);
      const { reconcile, reportTerminal, metrics, logger } = this.deps;
      const loop = new ReconcileLoop({ queue, reconcile, reportTerminal, metrics, logger, workers: this.deps.workers() });
      this.term = { queue, loop };
      this.deps.metrics.isLeader.set(1);
      this.deps.logger.info("leading: reconciling");
      this.enqueue(this.deps.allNodes());
      loop.start();
    });
    return this.transitions;
  }

  /** Ends the current term: no new reconcile starts; resolves when the one in flight finished. */
  end(): Promise<void> {
    this.transitions = this.transitions.then(async () => {
      const term = this.term;
      if (!term) return;
      this.term = undefined;
      this.deps.metrics.isLeader.set(0);
      term.queue.shutDown();
      await term.loop.drain();
      this.deps.logger.info("not leading: stopped reconciling");
    });
    return this.transitions;
  }

  /** Queues node names for the current term. */
  enqueue(names: Iterable<string>): void {
    if (!this.term) return;
    for (const name of names) this.term.queue.add(name);
  }

}
