/**
 * Accounting of control-plane start-up time per run (issue 9: `npm test` may spend at most 15 s
 * starting control planes). Every start — the shared plane in global setup, an apiserver replica
 * in a worker — appends one JSON line to the file named by NETMEDIC_TEST_STARTUPS (in the shared
 * plane's dir, which workers inherit through the environment); global teardown sums them.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";

/** One start: what was started, how long it took until usable, and its phases (ms). */
export interface StartupRecord {
  kind: "shared" | "replica" | "private";
  ms: number;
  phases?: Record<string, number>;
}

/** Appends `record` to this run's start-up log (no-op outside a Jest run with the shared plane). */
export function recordStartup(record: StartupRecord): void {
  const path = process.env["NETMEDIC_TEST_STARTUPS"];
  if (path) appendFileSync(path, `${JSON.stringify(record)}\n`);
}

/** The start-ups recorded in `path`. */
export function readStartups(path: string): StartupRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as StartupRecord);
}

/** "control-plane start-up this run: 12.9 s (shared 7.1 s + replica 5.8 s)". */
export function startupSummary(records: StartupRecord[]): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const total = records.reduce((sum, record) => sum + record.ms, 0);
  const parts = records.map((record) => `${record.kind} ${seconds(record.ms)}`).join(" + ");
  return `control-plane start-up this run: ${seconds(total)}${parts ? ` (${parts})` : ""}`;
}

/** Milliseconds since `t0`, and a stopwatch of named phases for StartupRecord.phases. */
export function stopwatch(): { lap: (name: string) => void; phases: Record<string, number>; elapsed: () => number } {
  const t0 = Date.now();
  let last = t0;
  const phases: Record<string, number> = {};
  return {
    phases,
    lap: (name) => {
      const now = Date.now();
      phases[name] = now - last;
      last = now;
    },
    elapsed: () => Date.now() - t0,
  };
}
