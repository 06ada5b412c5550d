/**
 * Recognising a heartbeat: an agent with nothing new re-applies its report only so the controller
 * can tell it is alive, and that moves nothing but times — the heartbeat, the facts' collection
 * time, the probes' times and latencies. Such an update cannot change a verdict while the agent is
 * already judged Reporting and no order is in flight (an order's confirmation waits for facts
 * collected after it, so there the collection time matters), and the controller ends it there:
 * no diagnosis, no write, no Event. A newer heartbeat only pushes staleness further away, which the
 * next reconcile (any event, the requeue when the previous report would have gone stale, or the
 * resync) still sees.
 */
import type { NetworkHealth } from "../api/index.js";

/** The object without what a heartbeat moves (nor resourceVersion/managedFields): equal texts, equal verdict inputs. */
export function verdictInputs(health: NetworkHealth): string {
  const { resourceVersion: _version, managedFields: _fields, ...metadata } = health.metadata as NetworkHealth["metadata"] & { managedFields?: unknown };
  const status = health.status;
  const steady = status && {
    ...status,
    agent: status.agent && { ...status.agent, heartbeatTime: undefined },
    facts: status.facts && { ...status.facts, collectedAt: undefined },
    probes: status.probes?.map((probe) => ({ ...probe, time: undefined, latencyMs: undefined })),
  };
  return JSON.stringify({ metadata, spec: health.spec, status: steady });
}

/** Whether the controller's last verdict on `health` is AgentReporting=True. */
export function judgedReporting(health: NetworkHealth | undefined): boolean {
  return health?.status?.conditions?.some((c) => c.type === "AgentReporting" && c.status === "True") ?? false;
}

/** Whether a heartbeat of `health` can leave the verdict as it is: the agent Reporting, no order Pending or Applying. */
export function heartbeatCannotChangeVerdict(health: NetworkHealth): boolean {
  const phase = health.status?.remediation?.phase;
  return judgedReporting(health) && phase !== "Pending" && phase !== "Applying";
}
