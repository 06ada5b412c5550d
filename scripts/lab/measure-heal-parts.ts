/**
 * Measures the two agent-side parts of the k0s heal on the node lab, outside any test: a facts
 * round (collectFacts on the k0s lab worker) and OpenHostFirewall on the worker's real firewalld
 * (the k0s order, then its undo), N times each, printing wall times and firewall-cmd process counts.
 * `tsx scripts/lab/measure-heal-parts.ts [runs]`; needs root and `npm run lab:install`.
 */
import type { PlannedAction } from "../../src/api/index.js";
import { runAction, type ActionContext } from "../../src/agent/actions/action.js";
import { openHostFirewall } from "../../src/agent/actions/open-host-firewall.js";
import { collectFacts } from "../../src/agent/facts.js";
import { HostExecutor, type HostCommandOptions, type HostCommandResult } from "../../src/agent/host-executor.js";
import { startLab } from "../../test/support/lab/index.js";

/** The agent's executor, counting the processes it starts by program. */
class CountingExecutor extends HostExecutor {
  programs: string[] = [];
  override run(argv: readonly string[], options?: HostCommandOptions): Promise<HostCommandResult> {
    this.programs.push(argv[0] ?? "");
    return super.run(argv, options);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? "5");
  const lab = await startLab({ ipForward: 0, bridgeNfCallIptables: 0 });
  try {
    await lab.writeFile("/var/lib/k0s/.netmedic-lab", "");
    const host = new CountingExecutor(lab.workerPid);
    const facts: number[] = [];
    const fire: number[] = [];
    for (let i = 0; i < runs; i++) {
      host.programs = [];
      let t = performance.now();
      const snapshot = await collectFacts(host, {}, () => new Date().toISOString());
      facts.push(performance.now() - t);
      const factProcs = host.programs.length;
      const action: PlannedAction = { action: "OpenHostFirewall", podInterface: "cni0", podCIDR: lab.addresses.podCIDR, egressZone: "public", service: "k0s-worker" };
      const context: ActionContext = { host, snapshot, targets: {}, now: () => new Date() };
      host.programs = [];
      t = performance.now();
      const out = await runAction(openHostFirewall, action, context);
      fire.push(performance.now() - t);
      const fwProcs = host.programs.filter((p) => p === "firewall-cmd").length;
      await out.revert?.();
      process.stdout.write(`run ${i + 1}: facts ${facts.at(-1)!.toFixed(0)} ms (${factProcs} processes, errors ${JSON.stringify(snapshot.facts.errors ?? [])}); ` +
        `OpenHostFirewall ${out.result} ${fire.at(-1)!.toFixed(0)} ms (${fwProcs} firewall-cmd)\n`);
    }
    process.stdout.write(`median facts ${median(facts).toFixed(0)} ms, OpenHostFirewall ${median(fire).toFixed(0)} ms\n`);
  } finally {
    await lab.stop();
  }
}

await main();
