/**
 * The reconcile workers: each takes node names off the queue (which never hands one node to two
 * workers at once), and decides what a failure means:
 * - transient (5xx, 429, 409, network, timeout): retried with the key's own capped backoff;
 * - terminal (400/422 validation, 403): logged, counted and reported once as a Warning Event, then
 *   left until the node or its NetworkHealth changes again or the next resync — never hot-looped.
 */
import type { Logger } from "pino";
import { classifyError, describeError } from "./api-errors.js";
import type { ControllerMetrics } from "../metrics.js";
import type { ReconcileOutcome } from "../reconcile/node-reconciler.js";
import type { WorkQueue } from "./work-queue.js";

/** What the loop drives. */
export interface ReconcileLoopDeps {
  queue: WorkQueue;
  reconcile: (name: string, log: Logger) => Promise<ReconcileOutcome>;
  metrics: ControllerMetrics;
  logger: Logger;
  /** Reports a terminal failure (a Warning Event); called once per distinct failure of a node. */
  reportTerminal: (name: string, description: string) => Promise<void>;
  /** Reconciles in parallel (default 1). Decisions stay safe: see NetworkHealthOverlay.stage. */
  workers?: number;
}

/** Runs until its queue is shut down; `drain` waits for the reconciles in flight. */
export class ReconcileLoop {
  private running: Promise<void> = Promise.resolve();
  private sequence = 0;
  private readonly reportedTerminal = new Map<string, string>();

  constructor(private readonly deps: ReconcileLoopDeps) {}

  /** Starts the workers. */
  start(): void {
    const workers = Math.max(1, this.deps.workers ?? 1);
    this.running = Promise.all(Array.from({ length: workers }, () => this.work())).then(() => undefined);
  }

  /** Resolves once every worker has stopped (shut the queue down first); reconciles in flight complete. */
  drain(): Promise<void> {
    return this.running;
  }

  private async work(): Promise<void> {
    for (;;) {
      const name = await this.deps.queue.get();
      if (name === undefined) return;
      try {
        await this.process(name);
      } finally {
        this.deps.queue.done(name);
      }
    }
  }

  private async process(name: string): Promise<void> {
    const { queue, metrics } = this.deps;
    this.sequence += 1;
    const log = this.deps.logger.child({ node: name, reconcileId: this.sequence });
    const stopTimer = metrics.reconcileDuration.startTimer();
    try {
      const outcome = await this.deps.reconcile(name, log);
      stopTimer({ result: "ok" });
      queue.forget(name);
      this.reportedTerminal.delete(name);
      if (outcome.requeueAfterSeconds !== undefined) queue.addAfter(name, outcome.requeueAfterSeconds * 1000);
    } catch (error) {
      const errorClass = classifyError(error);
      stopTimer({ result: errorClass });
      metrics.reconcileErrors.inc({ class: errorClass });
      const description = describeError(error);
      if (errorClass === "transient") {
        const retryInMs = queue.addRateLimited(name);
        log.warn({ error: description, retryInMs, failures: queue.failureCount(name) }, "reconcile failed, will retry");
        return;
      }
      queue.forget(name);
      log.error({ error: description }, "reconcile rejected, not retrying until the node changes");
      if (this.reportedTerminal.get(name) === description) return;
      this.reportedTerminal.set(name, description);
      await this.deps.reportTerminal(name, description);
    }
  }
}
