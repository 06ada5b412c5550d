/**
 * `netmedic dial --jobs JSON`: the internal one-shot dialer the agent re-executes inside the
 * host's network namespace (`nsenter --target PID --net`). It runs every job concurrently, each
 * bounded by its own timeout, and prints one JSON array of outcomes (same order) on stdout.
 * It holds no credentials and takes its jobs only from argv.
 */
import { parseArgs } from "node:util";
import { MAX_STATUS_PROBES } from "../api/generated/limits.js";
import { askProbe } from "./ask-probe.js";
import { probeServerVersion } from "./server-version.js";
import { boundedTimeout, dialTcp, type DialOutcome } from "./tcp-dial.js";
import { parseDialTarget, type DialTarget } from "./target.js";

/** One dial from the host network: TCP connect, ask the probe pod, or GET /version over TLS. */
export type DialJob =
  | { kind: "tcp"; target: string; timeoutMs?: number }
  | { kind: "probe"; probe: string; target: string; timeoutMs?: number }
  | { kind: "version"; target: string; timeoutMs?: number };

/** At most this many jobs per run: the status keeps at most this many probes (the schema's maxItems). */
export const MAX_DIAL_JOBS = MAX_STATUS_PROBES;

type CheckedJob = { kind: DialJob["kind"]; target: DialTarget; probe?: DialTarget; timeoutMs: number };

/** Validates a jobs document; throws an Error saying what is wrong. */
export function parseDialJobs(text: string): CheckedJob[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || value.length > MAX_DIAL_JOBS) throw new Error(`jobs must be an array of at most ${MAX_DIAL_JOBS}`);
  return value.map((item: Partial<Record<string, unknown>>, index) => {
    const kind = item?.kind;
    if (kind !== "tcp" && kind !== "probe" && kind !== "version") throw new Error(`job ${index}: unknown kind`);
    if (typeof item.target !== "string") throw new Error(`job ${index}: target must be host:port`);
    const timeoutMs = boundedTimeout(typeof item.timeoutMs === "number" ? item.timeoutMs : undefined);
    const job: CheckedJob = { kind, target: parseDialTarget(item.target), timeoutMs };
    if (kind === "probe") {
      if (typeof item.probe !== "string") throw new Error(`job ${index}: probe must be host:port`);
      job.probe = parseDialTarget(item.probe);
    }
    return job;
  });
}

/** Runs one checked job. */
function runDialJob(job: CheckedJob): Promise<DialOutcome> {
  if (job.kind === "probe" && job.probe) return askProbe(job.probe, job.target, job.timeoutMs);
  if (job.kind === "version") return probeServerVersion(job.target, job.timeoutMs);
  return dialTcp(job.target, job.timeoutMs);
}

/**
 * Entry of the `dial` subcommand. `write` receives the JSON output (stdout by default).
 * Resolves to 0, or 2 when the jobs are malformed (reason on stderr).
 */
export async function runDial(argv: string[], write: (text: string) => void = (t) => void process.stdout.write(t)): Promise<number> {
  let jobs: CheckedJob[];
  try {
    const { values } = parseArgs({ args: argv, options: { jobs: { type: "string" } }, strict: true });
    jobs = parseDialJobs(values.jobs ?? "[]");
  } catch (error) {
    process.stderr.write(`netmedic dial: ${(error as Error).message}\n`);
    return 2;
  }
  const outcomes = await Promise.all(jobs.map(runDialJob));
  write(`${JSON.stringify(outcomes)}\n`);
  return 0;
}
