// A real Agent in a process of its own, for the dead-man switch lab (dead-man-switch.test.ts): it
// runs one round on the lab worker with an order, and once the first action has changed firewalld
// it stops at the next action's first host command, prints PAUSED with the results it published,
// and waits there to be killed -9 by PID — a crash between two actions of one order.
// argv: <worker pid> <state dir> <node name> <order JSON (a RemediationStatus)>
import { pino } from "pino";
import type { RemediationStatus } from "../../src/api/index.js";
import { Agent } from "../../src/agent/agent.js";
import { HostNetworkDialer } from "../../src/agent/host-dialer.js";
import { HostExecutor, type HostCommandOptions, type HostCommandResult } from "../../src/agent/host-executor.js";
import { MemoryNetworkHealthStore } from "./agent-support.js";

const [pid, stateDir, nodeName, order] = process.argv.slice(2);
const store = new MemoryNetworkHealthStore(nodeName ?? "", {});
store.setControllerFields({ remediation: JSON.parse(order ?? "{}") as RemediationStatus });

/** The worker's executor, stopping for good at the first host command after a firewalld change. */
class PausingExecutor extends HostExecutor {
  private changed = false;
  override run(argv: readonly string[], options?: HostCommandOptions): Promise<HostCommandResult> {
    if (argv[0] === "firewall-cmd" && argv.some((a) => /^--(add|change)-/.test(a))) this.changed = true;
    else if (this.changed && argv[0] !== "firewall-cmd") {
      process.stdout.write(`PAUSED ${JSON.stringify(store.object?.status?.agent?.results ?? [])}\n`);
      return new Promise(() => undefined);
    }
    return super.run(argv, options);
  }
}

const host = new PausingExecutor(Number(pid));
const agent = new Agent(
  { nodeName: nodeName ?? "", intervalMs: 1000, heartbeatMs: 30_000, probeTimeoutMs: 1000, podNetwork: {}, version: "test", deadMan: { stateDir: stateDir ?? "", confirmTimeoutMs: 60_000 } },
  { store, host, dialer: new HostNetworkDialer(host), logger: pino({ level: "silent" }) },
);
await agent.round();
process.stdout.write("ROUND ENDED (the pause did not happen)\n");
