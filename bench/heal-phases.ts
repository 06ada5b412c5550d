/**
 * One heal's phases, read from the objects' and processes' own timestamps (bench/time-to-heal.ts
 * runs the heals): detect, decide, apply, verify, and three parts of them.
 */
import type { NetworkHealth } from "../src/api/index.js";
import { hasCondition, type NetworkHealthFollower } from "../test/support/e2e/networkhealth.js";
import type { RunningProcess } from "../test/support/e2e/processes.js";

/** One run's phase durations in seconds (t0 = the stand-in's first failed dial), and three parts of them. */
export interface HealRun {
  detect: number;
  decide: number;
  apply: number;
  verify: number;
  total: number;
  /** t0 → the agent's "agent starting" log line (its process start-up, part of detect). */
  agentUp: number;
  /** Order written (lastAttemptTime) → the agent's "order received" log line (part of apply). */
  pickup: number;
  /** "order received" → OpenHostFirewall's "action finished" (facts snapshot + the firewall-cmd calls; part of apply). */
  firewall: number;
}

const ROOT_CAUSE = "RejectingPodTraffic";
const ORDER = ["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"];
const secondsBetween = (from: number, to: number) => (to - from) / 1000;

/** Milliseconds of a klog line's "EMMDD HH:MM:SS.uuuuuu" (UTC; klog has no year: this year). */
function klogTime(line: string): number {
  const m = /^[IWEF](\d{2})(\d{2}) (\d{2}:\d{2}:\d{2}\.\d{3})/.exec(line);
  if (!m) throw new Error(`not a klog line: ${line}`);
  return Date.parse(`${new Date().getUTCFullYear()}-${m[1]}-${m[2]}T${m[3]}Z`);
}

/** Epoch ms of the agent's first pino log line with `msg` (and `action`, when given): pino's `time`. */
function agentLogTime(agent: RunningProcess, msg: string, action?: string): number {
  const line = agent.output().split("\n").find((l) => l.includes(`"msg":"${msg}"`) && (!action || l.includes(`"action":"${action}"`)));
  return line ? (JSON.parse(line) as { time: number }).time : Number.NaN;
}

/**
 * When the agent finished `result`: its own result time, which it truncates to whole seconds, made
 * exact by its "action finished" log line (same process, same moment) when the two agree.
 */
function resultTime(agent: RunningProcess, result: { action: string; time?: unknown }): number {
  const truncated = Date.parse(String(result.time));
  const logged = agentLogTime(agent, "action finished", result.action);
  return logged - truncated >= 0 && logged - truncated < 1100 ? logged : truncated;
}

const conditionTime = (h: NetworkHealth, type: string) => Date.parse(String(h.status?.conditions?.find((c) => c.type === type)?.lastTransitionTime ?? ""));

/**
 * The boundaries, all from the objects' own timestamps: detected = HostFirewall's lastTransitionTime
 * on the first version whose root cause is RejectingPodTraffic (Ready itself is already
 * False/Degraded, for AgentReporting NotRunning, before the agent reports);
 * decided = the order's lastAttemptTime; applied = the last of the agent's result times for the
 * order (made exact by its log, see resultTime); verified = the later of Ready=True's and
 * Remediating=Succeeded's lastTransitionTime. t0 = the stand-in's first klog line.
 */
export function phases(follower: NetworkHealthFollower, healed: NetworkHealth, konnectivity: RunningProcess, agent: RunningProcess): HealRun {
  const failed = konnectivity.output().split("\n").find((l) => l.includes('"cannot connect once"'));
  if (!failed) throw new Error("no failed dial in the konnectivity-agent stand-in's log");
  const t0 = klogTime(failed);
  // Until the agent reports, the diagnosis is about the agent (AgentReporting NotRunning): not this one.
  const diagnosed = follower.transitions.map((t) => t.health).find((h) => h?.status?.diagnosis?.rootCause === ROOT_CAUSE && hasCondition(h, "Ready", "False"));
  const rootCause = diagnosed?.status?.conditions?.find((c) => c.type === "HostFirewall" && c.reason === ROOT_CAUSE);
  const remediation = healed.status?.remediation;
  const results = (healed.status?.agent?.results ?? []).filter((r) => r.orderId === remediation?.orderId);
  if (JSON.stringify(results.map((r) => [r.action, r.result])) !== JSON.stringify(ORDER.map((a) => [a, "Succeeded"]))) {
    throw new Error(`unexpected results: ${JSON.stringify(results)}`);
  }
  const detected = Date.parse(String(rootCause?.lastTransitionTime ?? ""));
  const decided = Date.parse(String(remediation?.lastAttemptTime ?? ""));
  const applied = Math.max(...results.map((r) => resultTime(agent, r)));
  const verified = Math.max(conditionTime(healed, "Ready"), conditionTime(healed, "Remediating"));
  const received = agentLogTime(agent, "order received");
  return {
    detect: secondsBetween(t0, detected), decide: secondsBetween(detected, decided), apply: secondsBetween(decided, applied),
    verify: secondsBetween(applied, verified), total: secondsBetween(t0, verified), agentUp: secondsBetween(t0, agentLogTime(agent, "agent starting")),
    pickup: secondsBetween(decided, received), firewall: secondsBetween(received, agentLogTime(agent, "action finished", "OpenHostFirewall")),
  };
}
