/**
 * Control-plane start-up time (issue 9 promises ≤ 10 s): wall time of startControlPlane() — etcd,
 * kube-apiserver ready, CRDs installed, controller-manager and scheduler working — over a few starts.
 */
import { startControlPlane } from "../test/support/control-plane/control-plane.js";
import { median } from "./lib.js";

/** Seconds of each start, and their median. */
export async function runStartup(runs: number, log: (line: string) => void): Promise<{ seconds: number[]; median: number }> {
  const seconds: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = Date.now();
    const plane = await startControlPlane();
    seconds.push((Date.now() - started) / 1000);
    await plane.stop();
    log(`  start ${run + 1}: ${seconds[run]?.toFixed(1)} s`);
  }
  return { seconds, median: median(seconds) };
}
