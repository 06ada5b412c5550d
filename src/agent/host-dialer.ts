/**
 * Dials from the host's network namespace: the agent re-executes its own dialer program
 * (src/dial/dial-main) under `nsenter --target PID --net`, one process per probe round running
 * all jobs concurrently. The agent's own network (used by its API client) is never switched.
 */
import { dialProgramArgv } from "../dial/dial-entry.js";
import { MAX_DIAL_TIMEOUT_MS, type DialOutcome } from "../dial/tcp-dial.js";
import { isDialResult } from "../dial/classify.js";
import type { DialJob } from "../dial/dial.js";
import { HostCommandError, type HostExecutor } from "./host-executor.js";

/** Something that runs dial jobs from the host network. */
export interface Dialer {
  dial(jobs: DialJob[]): Promise<DialOutcome[]>;
}

/** Startup slack for the dialer process (Node, and tsx when running from source). */
const STARTUP_SLACK_MS = 15_000;

/** Parses the dialer's stdout: one JSON array with exactly `count` well-formed outcomes. */
export function parseDialOutput(text: string, count: number): DialOutcome[] {
  const value = JSON.parse(text) as unknown;
  if (!Array.isArray(value) || value.length !== count) throw new Error("dialer output does not match its jobs");
  return value.map((item: Partial<DialOutcome>) => {
    if (!isDialResult(item?.result) || typeof item.latencyMs !== "number") throw new Error("malformed dialer outcome");
    const detail = typeof item.detail === "string" ? item.detail.slice(0, 200) : undefined;
    return { result: item.result, latencyMs: Math.max(0, Math.round(item.latencyMs)), ...(detail ? { detail } : {}) };
  });
}

/** The production Dialer: the dialer program in the host's network namespace. */
export class HostNetworkDialer implements Dialer {
  private readonly program = dialProgramArgv();

  constructor(private readonly host: HostExecutor) {}

  async dial(jobs: DialJob[]): Promise<DialOutcome[]> {
    if (jobs.length === 0) return [];
    const longest = Math.max(...jobs.map((j) => Math.min(j.timeoutMs ?? 3000, MAX_DIAL_TIMEOUT_MS)));
    const argv = [...this.program, "--jobs", JSON.stringify(jobs)];
    const result = await this.host.runInNetwork(argv, { timeoutMs: longest + 2000 + STARTUP_SLACK_MS });
    if (result.code !== 0) throw new HostCommandError(["dialer"], result);
    return parseDialOutput(result.stdout, jobs.length);
  }
}
