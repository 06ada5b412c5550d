/**
 * The agent's flags:
 *   --node-name N (required)  --host-pid PID (1)  --kubeconfig PATH  --interval 10s  --heartbeat 5m
 *   --probe-endpoint IP:PORT  --probe-timeout 3s  --pod-interface IF  --pod-cidr CIDR  --log-level info
 *   --state-dir /var/lib/netmedic  --confirm-timeout 2m
 */
import { parseArgs } from "node:util";
import { parseDialTarget } from "../dial/target.js";
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
export const DEFAULT_HEARTBEAT = "5m";

/** A bad flag; the message is for the user. */
export class AgentUsageError extends Error {}

const NODE_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/** Parses `500ms`, `10s`, `2m`, `1h` into milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^([0-9]{1,6})(ms|s|m|h)$/.exec(text);
  if (!match) throw new AgentUsageError(`--${flag} must be a duration like 10s or 500ms`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  const ms = Number(match[1]) * unit;
  if (ms < 100) throw new AgentUsageError(`--${flag} must be at least 100ms`);
  return ms;
}

function checked<T>(flag: string, value: string | undefined, check: (v: string) => T): T | undefined {
  if (value === undefined) return undefined;
  try {
    return check(value);
  } catch (error) {
    throw new AgentUsageError(`--${flag}: ${(error as Error).message}`);
  }
}

/** Parses the agent's argv; throws AgentUsageError naming the bad flag. */
export function parseAgentArgs(argv: string[]): AgentOptions {
  const string = { type: "string" } as const;
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      "node-name": string, "host-pid": string, kubeconfig: string, interval: string, heartbeat: string,
      "probe-endpoint": string, "probe-timeout": string, "pod-interface": string, "pod-cidr": string, "log-level": string,
      "state-dir": string, "confirm-timeout": string,
    },
  });
  const nodeName = values["node-name"];
  if (!nodeName || !NODE_NAME.test(nodeName)) throw new AgentUsageError("--node-name must be the node's name (DNS subdomain)");
  const hostPid = Number(values["host-pid"] ?? "1");
  if (!Number.isInteger(hostPid) || hostPid < 1) throw new AgentUsageError("--host-pid must be a positive integer");
  const logLevel = values["log-level"] ?? "info";
  if (!LOG_LEVELS.has(logLevel)) throw new AgentUsageError(`--log-level must be one of ${[...LOG_LEVELS].join(", ")}`);
  return {
    nodeName, hostPid, logLevel,
    stateDir: checked("state-dir", values["state-dir"], validStateDir) ?? DEFAULT_STATE_DIR,
    confirmTimeoutMs: parseDuration(values["confirm-timeout"] ?? DEFAULT_CONFIRM_TIMEOUT, "confirm-timeout"),
    kubeconfig: values.kubeconfig,
    intervalMs: parseDuration(values.interval ?? "10s", "interval"),
    heartbeatMs: parseDuration(values.heartbeat ?? DEFAULT_HEARTBEAT, "heartbeat"),
    probeTimeoutMs: Math.min(parseDuration(values["probe-timeout"] ?? "3s", "probe-timeout"), 10_000),
    probeEndpoint: checked("probe-endpoint", values["probe-endpoint"], (v) => parseDialTarget(v).text),
    podInterface: checked("pod-interface", values["pod-interface"], validInterface),
    podCIDR: checked("pod-cidr", values["pod-cidr"], validCIDR),
  };
}
