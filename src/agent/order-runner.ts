/**
 * Executes the due part of an order, action by action, under the dead-man switch when the agent has
 * a state directory: the checkpoint is armed on disk before the first change, every change lands in
 * it before the next one, and after the last action the node must reach the API server before the
 * deadline, and after a re-point its kubelet must heartbeat again (checkpoint/heartbeat.ts) —
 * confirmed, the checkpoint goes; not, every change of the order is undone and each changed action
 * reported Failed "RolledBack: …". Without a state directory (tests of one action's
 * host effect) actions run without a checkpoint, journaled in memory only.
 */
import type { Logger } from "pino";
import type { PlannedAction, ProbeTargets } from "../api/index.js";
import { executeAction, type ActionOutcome } from "./actions/index.js";
import type { HostSnapshot } from "./facts.js";
import type { Dialer } from "./host-dialer.js";
import type { HostExecutor } from "./host-executor.js";
import type { DueOrder } from "./orders.js";
import { confirmReachable, type Confirmation } from "./checkpoint/confirm.js";
import { confirmHeartbeat, type NodeLeaseReader } from "./checkpoint/heartbeat.js";
import type { DeadManSettings } from "./checkpoint/dead-man-switch.js";
import { OrderCheckpoint, type RolledBack } from "./checkpoint/order-checkpoint.js";

/** What running an order needs. `onOutcome` records and publishes one action's outcome. */
export interface OrderRun {
  host: HostExecutor;
  dialer: Dialer;
  logger: Logger;
  clock: () => Date;
  snapshot: HostSnapshot;
  targets: ProbeTargets;
  deadMan?: DeadManSettings;
  /** Reads this node's kubelet Lease: how a re-point is confirmed. Absent: a re-point cannot be confirmed (rolled back). */
  nodeLease?: { reader: NodeLeaseReader; node: string };
  signal?: AbortSignal;
  onOutcome: (action: PlannedAction, outcome: ActionOutcome) => Promise<void>;
}

async function runActions(order: DueOrder, run: OrderRun, checkpoint?: OrderCheckpoint): Promise<void> {
  for (const action of order.actions) {
    const journalSink = checkpoint?.sinkFor(action.action);
    const outcome = await executeAction(action, { host: run.host, snapshot: run.snapshot, targets: run.targets, now: run.clock, ...(journalSink ? { journalSink } : {}) });
    try {
      await run.onOutcome(action, outcome);
    } catch (error) {
      // Publishing is not the host's business: the result is kept and reported by a later round.
      run.logger.warn({ error: (error as Error).message }, "could not report an action's result yet");
    }
    if (outcome.result === "Failed") break;
  }
}

/** Arms the checkpoint; when it cannot be written nothing may change, so the first action fails instead. */
async function arm(order: DueOrder, run: OrderRun, deadMan: DeadManSettings): Promise<OrderCheckpoint | undefined> {
  try {
    return OrderCheckpoint.arm(deadMan.store, order.orderId, run.clock(), deadMan.confirmTimeoutMs);
  } catch (error) {
    const first = order.actions[0];
    const detail = `cannot arm the checkpoint in ${deadMan.store.dir}: ${(error as Error).message}; nothing changed`;
    if (first) await run.onOutcome(first, { result: "Failed", detail }).catch(() => undefined);
    return undefined;
  }
}

/**
 * The order's changes confirmed within `timeoutMs` from now: the node reaches an apiserver, and when
 * a re-point restarted the node's kubelet, the kubelet renewed its Lease after the restart. The
 * detail of a refusal says which probe failed (it becomes the rollback's reason).
 */
async function confirmChanges(checkpoint: OrderCheckpoint, run: OrderRun, timeoutMs: number): Promise<Confirmation> {
  const since = run.clock();
  const deadline = checkpoint.startConfirmation(since, timeoutMs);
  const within = `within ${timeoutMs / 1000}s of the change`;
  const reachable = await confirmReachable(run.dialer, run.targets.apiServers ?? [], deadline, run.clock, run.signal);
  if (!reachable.confirmed) return { confirmed: false, detail: `the node did not reach the API server ${within} (${reachable.detail})` };
  if (!checkpoint.changedActions.includes("RepointAPIServerEndpoint")) return reachable;
  if (!run.nodeLease) return { confirmed: false, detail: "a re-point is confirmed by the kubelet's Lease, and this agent has no reader for it" };
  const heartbeat = await confirmHeartbeat(run.nodeLease.reader, run.nodeLease.node, since, deadline, run.clock, run.signal);
  if (!heartbeat.confirmed) return { confirmed: false, detail: `${heartbeat.detail} ${within}` };
  return { confirmed: true, detail: `${reachable.detail}; ${heartbeat.detail}` };
}

/**
 * Runs the order; returns the actions rolled back by the dead-man switch (empty when confirmed,
 * nothing changed, or no dead-man switch). A checkpoint left armed by an exception stays on disk:
 * the next agent start rolls it back.
 */
export async function runOrder(order: DueOrder, run: OrderRun): Promise<RolledBack[]> {
  if (!run.deadMan) {
    await runActions(order, run);
    return [];
  }
  const checkpoint = await arm(order, run, run.deadMan);
  if (!checkpoint) return [];
  await runActions(order, run, checkpoint);
  if (!checkpoint.changed) {
    checkpoint.confirm();
    return [];
  }
  const confirmation = await confirmChanges(checkpoint, run, run.deadMan.confirmTimeoutMs);
  if (confirmation.confirmed) {
    checkpoint.confirm();
    run.logger.info({ detail: confirmation.detail }, "order confirmed");
    return [];
  }
  const why = confirmation.detail;
  const rolled = await checkpoint.rollback(run.host, why);
  run.logger.warn({ actions: rolled.map((r) => r.action), why }, "order rolled back by the dead-man switch");
  return rolled;
}
