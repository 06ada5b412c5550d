/**
 * What an Agent is built from: its settings (from flags), the store it reads its NetworkHealth from
 * and writes its status to, and the host it acts on.
 */
import type { Logger } from "pino";
import type { NetworkHealth, NetworkHealthStatus, PodNetworkFacts } from "../api/index.js";
import type { NodeLeaseReader } from "./checkpoint/heartbeat.js";
import type { Dialer } from "./host-dialer.js";
import type { HostExecutor } from "./host-executor.js";
import type { LeaseHeartbeat } from "./lease-heartbeat.js";

/**
 * Where the agent reads its NetworkHealth and writes its status. `follow` and `waitForChange` are
 * the push side (WatchedNetworkHealthStore); a store without them is read once per interval.
 */
export interface NetworkHealthStore {
  get(name: string): Promise<NetworkHealth | undefined>;
  applyStatus(name: string, status: NetworkHealthStatus): Promise<unknown>;
  /** Keeps the store current until `signal` aborts. */
  follow?(signal: AbortSignal): Promise<void>;
  /** Sleeps up to `ms`; true as soon as a new version of the object satisfies `wanted`. */
  waitForChange?(ms: number, signal: AbortSignal, wanted: (object: NetworkHealth) => boolean): Promise<boolean>;
}

/** Agent settings (from flags). */
export interface AgentConfig {
  nodeName: string;
  intervalMs: number;
  heartbeatMs: number;
  probeTimeoutMs: number;
  /** Overrides the controller's probeEndpoint target. */
  probeEndpoint?: string;
  /** Operator-given pod interface / CIDR (override detection). */
  podNetwork: PodNetworkFacts;
  version: string;
  /**
   * The dead-man switch: the host directory of the order checkpoint and how long a fix has to be
   * confirmed. Absent: orders run without a checkpoint (tests of one action's host effect).
   */
  deadMan?: { stateDir: string; confirmTimeoutMs: number };
}

/** What the agent works with. */
export interface AgentDeps {
  store: NetworkHealthStore;
  host: HostExecutor;
  dialer: Dialer;
  logger: Logger;
  clock?: () => Date;
  /**
   * Reads this node's kubelet Lease (the light API client in production): how the dead-man switch
   * confirms a re-point. Absent: a re-point under the dead-man switch cannot be confirmed and is rolled back.
   */
  leases?: NodeLeaseReader;
  /**
   * Renews this node's heartbeat Lease after each round's report. Absent (tests of one round's
   * report): the agent heartbeats through its NetworkHealth status, as before the Lease existed.
   */
  leaseHeartbeat?: LeaseHeartbeat;
}
