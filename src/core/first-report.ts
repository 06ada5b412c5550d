/**
 * The first verdict on a node waits for its agent. A NetworkHealth the controller has never
 * written, whose agent has not reported yet, is left alone for up to staleAfterSeconds from its
 * creation — unless the cluster-side evidence alone (a konnectivity-agent log, a NotReady Node)
 * already shows a fault. A new node's or a fresh install's agent reports within one facts interval;
 * writing "agent NotRunning, Unknown" first would cost every node a second status write and a
 * burst of Unknown → True transitions (and their Events). Once staleAfterSeconds pass without a
 * report, the missing agent is reported as before.
 */
import type { NetworkHealth } from "../api/index.js";
import type { NodeDiagnosis } from "./findings.js";
import { secondsBetween } from "./node-context.js";

/** Seconds still to wait before the first status write of `health`; undefined = write now. */
export function firstReportWait(health: NetworkHealth | undefined, diagnosis: NodeDiagnosis, now: string, staleAfterSeconds: number): number | undefined {
  const status = health?.status;
  if ((status?.conditions?.length ?? 0) > 0 || status?.agent?.heartbeatTime) return undefined;
  const created = health?.metadata.creationTimestamp;
  if (!created) return undefined;
  const left = staleAfterSeconds - secondsBetween(String(created), now);
  if (!(left > 0)) return undefined;
  const faultShown = Object.values(diagnosis.checks).some((check) => check.status === "False" && check.type !== "AgentReporting");
  return faultShown ? undefined : Math.ceil(left);
}
