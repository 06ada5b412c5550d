/**
 * How full the host network namespace's connection-tracking table is: nf_conntrack_count against
 * nf_conntrack_max, both per network namespace under /proc/sys/net/netfilter. Either file missing
 * or unreadable (nf_conntrack not loaded, a kernel without it) throws: the fill is then unknown,
 * never "empty".
 */
import type { ConntrackFacts } from "../api/index.js";
import type { HostExecutor } from "./host-executor.js";

const DIRECTORY = "/proc/sys/net/netfilter";

/** The fill step reported: the percentage is floored to it, so a busy node's facts change only when it crosses a step. */
export const CONNTRACK_PERCENT_STEP = 5;

/** `count` of `max` as a percentage floored to CONNTRACK_PERCENT_STEP (100 when max is 0 or below count). */
export function usedPercent(count: number, max: number): number {
  if (max <= 0 || count >= max) return 100;
  return Math.floor((count * 100) / max / CONNTRACK_PERCENT_STEP) * CONNTRACK_PERCENT_STEP;
}

/** One non-negative integer sysctl; throws with the path when it cannot be read. */
async function readCounter(host: HostExecutor, name: string): Promise<number> {
  const path = `${DIRECTORY}/${name}`;
  const result = await host.run(["cat", "--", path]);
  const value = Number(result.stdout.trim());
  if (result.code !== 0 || !Number.isSafeInteger(value) || value < 0 || result.stdout.trim() === "") {
    throw new Error(`${path} unreadable (nf_conntrack not loaded?): ${result.stderr.trim().slice(0, 200)}`);
  }
  return value;
}

/** Reads the conntrack table's size and fill. */
export async function readConntrack(host: HostExecutor): Promise<ConntrackFacts> {
  const [count, max] = await Promise.all([readCounter(host, "nf_conntrack_count"), readCounter(host, "nf_conntrack_max")]);
  return { max, usedPercent: usedPercent(count, max) };
}
