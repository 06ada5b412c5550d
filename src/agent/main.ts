/**
 * Entry of `netmedic agent` (flags in options.ts). Talks to the API over the agent's own network
 * (hostNetwork in production) under field manager netmedic-agent, and to the host through the
 * namespaces of --host-pid. Stops cleanly on SIGTERM/SIGINT after the round in flight.
 * Nothing imported here may load @kubernetes/client-node: the agent runs on every node, and that
 * import alone would more than double its memory (k8s/light/agent-api-client.ts; a unit test checks).
 */
import { setFlagsFromString } from "node:v8";
import { pino, type Logger } from "pino";
import { AgentApiClient } from "../k8s/light/agent-api-client.js";
import { AgentLeaseClient } from "../k8s/light/agent-lease.js";
import { staleAfterForHeartbeat } from "../core/policy.js";
import { Agent } from "./agent.js";
import type { NetworkHealthStore } from "./agent-config.js";
import type { NodeLeaseReader } from "./checkpoint/heartbeat.js";
import { HostNetworkDialer } from "./host-dialer.js";
import { HostExecutor } from "./host-executor.js";
import { LeaseHeartbeat, type LeaseRenewer } from "./lease-heartbeat.js";
import { asUsageError, parseDuration } from "../core/flags.js";
import { DEFAULT_CONFIRM_TIMEOUT, parseAgentArgs, type AgentOptions } from "./options.js";
import { netmedicVersion } from "./version.js";
import { WatchedNetworkHealthStore } from "./watched-store.js";

/**
 * Builds an Agent from parsed options, a store, a logger, the reader of its node's kubelet Lease
 * and the renewer of its own heartbeat Lease (the seams tests use; without `leases` a re-point under
 * the dead-man switch is rolled back, without `renewer` the agent heartbeats through NetworkHealth).
 */
export function createAgent(options: AgentOptions, store: NetworkHealthStore, logger: Logger, leases?: NodeLeaseReader, renewer?: LeaseRenewer): Agent {
  const host = new HostExecutor(options.hostPid);
  const agentLogger = logger.child({ component: "agent", node: options.nodeName });
  const leaseHeartbeat = renewer && new LeaseHeartbeat(renewer, {
    node: options.nodeName, heartbeatMs: options.heartbeatMs, logger: agentLogger,
    leaseDurationSeconds: staleAfterForHeartbeat(Math.ceil(options.heartbeatMs / 1000)),
  });
  const podNetwork = { ...(options.podInterface ? { interface: options.podInterface } : {}), ...(options.podCIDR ? { cidr: options.podCIDR } : {}) };
  return new Agent(
    {
      nodeName: options.nodeName, intervalMs: options.intervalMs, heartbeatMs: options.heartbeatMs,
      probeTimeoutMs: options.probeTimeoutMs, probeEndpoint: options.probeEndpoint, podNetwork, version: netmedicVersion(),
      ...(options.stateDir ? { deadMan: { stateDir: options.stateDir, confirmTimeoutMs: options.confirmTimeoutMs ?? parseDuration("confirm-timeout", DEFAULT_CONFIRM_TIMEOUT) } } : {}),
    },
    { store, host, dialer: new HostNetworkDialer(host), logger: agentLogger, ...(leases ? { leases } : {}), ...(leaseHeartbeat ? { leaseHeartbeat } : {}) },
  );
}

/**
 * V8's heap sizing for a long-lived, mostly idle process. By default V8 lets the old generation
 * grow by at least 8 MB (up to 4x the live size on a big host) before the next full GC; the agent
 * promotes ~0.25 MB/min of short-lived garbage, so its first full GC after start-up came only after
 * ~45 min and anonymous memory crept from ~13 MB to ~23 MB. --optimize-for-size lowers that step to
 * 2 MB, so the memory reducer collects every few minutes (live heap ~7 MB). V8 reads it at each GC,
 * so setting it here works; NODE_OPTIONS refuses the flag. bench/RESULTS.md "Agent footprint".
 */
const AGENT_V8_FLAGS = "--optimize-for-size";

/** Runs `netmedic agent`; resolves to the exit code (0 after a clean stop, 2 on bad flags, 1 on a bad kubeconfig). */
export async function runAgent(argv: string[]): Promise<number> {
  setFlagsFromString(AGENT_V8_FLAGS);
  let options: AgentOptions;
  try {
    options = parseAgentArgs(argv);
  } catch (error) {
    const usage = asUsageError(error);
    if (!usage) throw error;
    process.stderr.write(`netmedic agent: ${usage.message}\n`);
    return 2;
  }
  const logger = pino({ name: "netmedic-agent", level: options.logLevel });
  let api: AgentApiClient;
  try {
    api = await AgentApiClient.load(options.kubeconfig);
  } catch (error) {
    logger.error({ error: (error as Error).message }, "cannot load the kubeconfig");
    return 1;
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  const store = new WatchedNetworkHealthStore(api, options.nodeName, logger.child({ component: "watch", node: options.nodeName }));
  try {
    await createAgent(options, store, logger, api, new AgentLeaseClient(api.rest)).run(stop.signal);
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    api.close();
  }
  return 0;
}
