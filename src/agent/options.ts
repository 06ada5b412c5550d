/**
 * The agent's flags (the convention of every entry point: core/flags.ts):
 *   --node-name N (required)  --host-pid PID (1)  --kubeconfig PATH  --interval 10s  --heartbeat 5m
 *   --probe-endpoint IP:PORT  --probe-timeout 3s  --pod-interface IF  --pod-cidr CIDR  --log-level info
 *   --state-dir /var/lib/netmedic  --confirm-timeout 2m
 */
import { parseArgs } from "node:util";
import { parseDialTarget } from "../dial/target.js";
import { checkedFlag, durationFlag, integerFlag, logLevelFlag, UsageError } from "../core/flags.js";
import { validCIDR, validHostPath, validInterface } from "./validate.js";
import { DEFAULT_STATE_DIR } from "./checkpoint/checkpoint-store.js";

/** An absolute directory path (the checkpoint's file names are appended to it). */
const validStateDir = (value: string): string => validHostPath(value.replace(/\/+$/, "") || "/");

/** Parsed agent options. */
export interface AgentOptions {
  nodeName: string;
  hostPid: number;
  kubeconfig?: string;
  intervalMs: number;
  heartbeatMs: number;
  probeTimeoutMs: number;
  probeEndpoint?: string;
  podInterface?: string;
  podCIDR?: string;
  logLevel: string;
  /** The host directory of the order checkpoint (a hostPath volume); parseAgentArgs always sets it. */
  stateDir?: string;
  /** How long a fix has to be confirmed (the node reaches the API server) before it reverts itself. */
  confirmTimeoutMs?: number;
}

/**
 * The confirmation deadline: two minutes. nmstate's own checkpoint defaults to 60 s
 * (DEFAULT_ROLLBACK_TIMEOUT), but a re-point restarts k3s-agent/rke2-agent, which needs time to
 * reconnect (the restart alone may take up to its 120 s command timeout before the probes start
 * their window); a node cut off still heals within minutes.
 */
export const DEFAULT_CONFIRM_TIMEOUT = "2m";

/**
 * How often an agent with nothing new reports anyway, so the controller can tell it is alive:
 * 5 minutes, node-problem-detector's force-sync period. Facts and probes still run every interval;
 * a change is reported at once. The controller's staleness limit follows it (2.5 × by default).
 */
const DEFAULT_HEARTBEAT = "5m";

const NODE_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Shorter intervals and timeouts would only spin: every round shells out to the host's tools. */
const AT_LEAST_100MS = { minMs: 100 };
/** Linux's PID_MAX_LIMIT. */
const MAX_PID = 4_194_304;

/** Parses the agent's argv; throws a UsageError naming the bad flag. */
export function parseAgentArgs(argv: string[]): AgentOptions {
  const string = { type: "string" } as const;
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      "node-name": string, "host-pid": string, kubeconfig: string, interval: string, heartbeat: string,
      "probe-endpoint": string, "probe-timeout": string, "pod-interface": string, "pod-cidr": string, "log-level": string,
      "state-dir": string, "confirm-timeout": string,
    },
  });
  const nodeName = values["node-name"];
  if (nodeName === undefined) throw new UsageError("--node-name is required: the name of the node this agent runs on");
  if (!NODE_NAME.test(nodeName)) throw new UsageError(`--node-name: expected the node's name, a DNS subdomain (got "${nodeName}")`);
  return {
    nodeName, logLevel: logLevelFlag(values["log-level"]),
    hostPid: integerFlag("host-pid", values["host-pid"], 1, { min: 1, max: MAX_PID }),
    stateDir: checkedFlag("state-dir", values["state-dir"], "an absolute directory path", validStateDir) ?? DEFAULT_STATE_DIR,
    confirmTimeoutMs: durationFlag("confirm-timeout", values["confirm-timeout"], DEFAULT_CONFIRM_TIMEOUT, AT_LEAST_100MS),
    kubeconfig: values.kubeconfig,
    intervalMs: durationFlag("interval", values.interval, "10s", AT_LEAST_100MS),
    heartbeatMs: durationFlag("heartbeat", values.heartbeat, DEFAULT_HEARTBEAT, AT_LEAST_100MS),
    probeTimeoutMs: Math.min(durationFlag("probe-timeout", values["probe-timeout"], "3s", AT_LEAST_100MS), 10_000),
    probeEndpoint: checkedFlag("probe-endpoint", values["probe-endpoint"], "IP:PORT", (v) => parseDialTarget(v).text),
    podInterface: checkedFlag("pod-interface", values["pod-interface"], "a network interface name", validInterface),
    podCIDR: checkedFlag("pod-cidr", values["pod-cidr"], "a CIDR such as 10.244.1.0/24", validCIDR),
  };
}
