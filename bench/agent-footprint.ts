/**
 * Agent footprint: `netmedic agent` (compiled, as shipped) as a child process with default
 * intervals (facts every 10 s, heartbeat 30 s) against a private control plane, with a node-lab
 * k0s worker (real netns + firewalld) as its host. Samples RSS and CPU seconds for a window and
 * extrapolates CPU per hour linearly from the idle window (start-up excluded). Needs root.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { FIELD_MANAGER_CONTROLLER } from "../src/api/index.js";
import { NetworkHealthClient } from "../src/k8s/networkhealth-client.js";
import { startControlPlane } from "../test/support/control-plane/control-plane.js";
import { startProcess, stopProcess, type ManagedProcess } from "../test/support/control-plane/processes.js";
import { missingPrerequisites, startLab, type Lab } from "../test/support/lab/index.js";
import { buildOnce, netmedicCli } from "./controller-process.js";
import { processUsage, sleep } from "./lib.js";

/** Agent figures: peak and last RSS, CPU seconds over the idle window and per hour, reports seen. */
export interface AgentFootprint {
  compiled: boolean;
  windowSeconds: number;
  peakRssMb: number;
  rssMb: number;
  /** The end RSS split from /proc/PID/smaps_rollup: anonymous (heap, malloc, JIT code) and file-backed (the node binary, libraries). */
  anonMb: number;
  fileMb: number;
  startupCpuSeconds: number;
  idleCpuSeconds: number;
  cpuSecondsPerHour: number;
  heartbeats: number;
}

/** Anonymous and file-backed resident MB of `pid` (smaps_rollup); NaN when it is gone. */
function residentSplit(pid: number): { anonMb: number; fileMb: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
    return { anonMb: kb("Anonymous") / 1024, fileMb: (kb("Rss") - kb("Anonymous") - kb("Shmem")) / 1024 };
  } catch {
    return { anonMb: Number.NaN, fileMb: Number.NaN };
  }
}

/**
 * Runs the agent for `warmupSeconds` + `windowSeconds` (`nodeFlags` on node's own command line, before the script);
 * undefined (with the reason logged) without root or lab tools.
 */
export async function runAgentFootprint(warmupSeconds: number, windowSeconds: number, log: (line: string) => void, nodeFlags: readonly string[] = []): Promise<AgentFootprint | undefined> {
  const missing = missingPrerequisites();
  if (missing.length > 0) return void log(`  skipped: lab prerequisites missing (${missing.join(", ")})`);
  const plane = await startControlPlane();
  let lab: Lab | undefined;
  let agent: ManagedProcess | undefined;
  try {
    const admin = new KubeConfig();
    admin.loadFromFile(plane.kubeconfigPath);
    lab = await startLab({ ipForward: 1, bridgeNfCallIptables: 1 });
    const node = "bench-agent-node";
    const controller = new NetworkHealthClient(admin, FIELD_MANAGER_CONTROLLER);
    await controller.apply({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: node } });
    const argv = [...netmedicCli(nodeFlags), "agent", "--node-name", node, "--host-pid", String(lab.workerPid), "--kubeconfig", plane.kubeconfigPath, "--log-level", "warn"];
    agent = startProcess("netmedic-agent", argv, join(plane.dir, "netmedic-agent.log"));
    const pid = agent.pid;
    const seen = new Set<string>();
    const sample = async () => {
      const beat = (await controller.get(node))?.status?.agent?.heartbeatTime;
      if (beat) seen.add(beat);
    };
    await sleep(warmupSeconds * 1000);
    await sample();
    const atWarm = processUsage(pid);
    const end = Date.now() + windowSeconds * 1000;
    while (Date.now() < end) {
      await sleep(5000);
      await sample();
    }
    const last = processUsage(pid);
    const split = residentSplit(pid);
    if (!atWarm || !last) throw new Error(`agent exited: ${readFileSync(agent.logPath, "utf8").slice(-600)}`);
    const idle = last.cpuSeconds - atWarm.cpuSeconds;
    return {
      compiled: buildOnce(), windowSeconds, peakRssMb: last.peakRssMb, rssMb: last.rssMb, ...split, startupCpuSeconds: atWarm.cpuSeconds,
      idleCpuSeconds: idle, cpuSecondsPerHour: (idle * 3600) / windowSeconds, heartbeats: seen.size,
    };
  } finally {
    if (agent) await stopProcess(agent);
    await lab?.stop();
    await plane.stop();
  }
}
