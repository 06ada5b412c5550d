/**
 * `netmedic probe --listen ADDR:PORT [--allow CIDR[,CIDR]] [--allow-target HOST:PORT[,…]]
 *  [--target-ports P[,P]] [--max-concurrent N] [--rate PER_SECOND] [--log-level L]`
 *
 * Runs in the pod network, unprivileged, with no API token: it only dials on behalf of its own
 * node's agent. The pod's default gateway (the host's side of the pod's link) is always an allowed
 * source; `--allow $(HOST_IP)/32` adds the node IP for CNIs without a bridge.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { pino, type Logger } from "pino";
import { DEFAULT_TARGET_PORTS, defaultGatewayFromRouteTable, RateLimiter, SourceAllowlist, TargetPolicy } from "./policy.js";
import { createProbeServer } from "./server.js";
import { parseDialTarget } from "../dial/target.js";

/** Parsed probe configuration. */
export interface ProbeConfig {
  host: string;
  port: number;
  allow: string[];
  allowTargets: string[];
  targetPorts: number[];
  maxConcurrent: number;
  ratePerSecond: number;
}

/** A running probe server. */
export interface RunningProbe {
  address: AddressInfo;
  close(): Promise<void>;
}

const list = (values: string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);

function positiveInt(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 10_000) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** Parses the probe's flags; throws an Error naming the bad flag. */
export function parseProbeArgs(argv: string[], routeTable?: string): ProbeConfig & { logLevel: string } {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      listen: { type: "string" }, allow: { type: "string", multiple: true }, "allow-target": { type: "string", multiple: true },
      "target-ports": { type: "string" }, "max-concurrent": { type: "string" }, rate: { type: "string" }, "log-level": { type: "string" },
    },
  });
  if (!values.listen) throw new Error("--listen ADDR:PORT is required");
  const listen = /^(?:\[([0-9a-f:.]+)\]|([0-9.]+)):([0-9]{1,5})$/i.exec(values.listen);
  const port = Number(listen?.[3]);
  if (!listen || port > 65535) throw new Error("--listen must be IP:PORT");
  const host = listen[1] ?? listen[2] ?? "";
  // The pod's default gateway is the host side of its link (the bridge address with a bridge CNI)
  // and is always allowed; --allow adds sources, e.g. the node IP for CNIs without a bridge.
  const gateway = routeTable === undefined ? undefined : defaultGatewayFromRouteTable(routeTable);
  const allow = [...list(values.allow), ...(gateway ? [`${gateway}/32`] : [])];
  if (allow.length === 0) throw new Error("no allowed source: pass --allow CIDR (no default gateway found)");
  const allowTargets = list(values["allow-target"]).map((t) => parseDialTarget(t).text);
  const targetPorts = values["target-ports"] === undefined ? [...DEFAULT_TARGET_PORTS] : list([values["target-ports"]]).map((p) => positiveInt(p, "target-ports", 0));
  if (targetPorts.some((p) => p > 65535)) throw new Error("--target-ports must be ports");
  return {
    host, port, allow, allowTargets, targetPorts,
    maxConcurrent: positiveInt(values["max-concurrent"], "max-concurrent", 4),
    ratePerSecond: positiveInt(values.rate, "rate", 5),
    logLevel: values["log-level"] ?? "info",
  };
}

/** Starts the probe server; resolves once it listens. */
export async function startProbe(config: ProbeConfig, logger: Logger): Promise<RunningProbe> {
  const server = createProbeServer({
    sources: new SourceAllowlist(config.allow),
    targets: new TargetPolicy(new Set(config.targetPorts), new Set(config.allowTargets)),
    rate: new RateLimiter(config.ratePerSecond, config.ratePerSecond * 2),
    maxConcurrent: config.maxConcurrent,
    logger,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  logger.info({ address: address.address, port: address.port, allow: config.allow, targetPorts: config.targetPorts, allowTargets: config.allowTargets }, "probe listening");
  return {
    address,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function readRouteTable(): string | undefined {
  try {
    return readFileSync("/proc/net/route", "utf8");
  } catch {
    return undefined;
  }
}

/** Entry of `netmedic probe`: serves until SIGTERM/SIGINT; resolves to the exit code (2 on bad flags). */
export async function runProbe(argv: string[]): Promise<number> {
  let config: ReturnType<typeof parseProbeArgs>;
  try {
    config = parseProbeArgs(argv, readRouteTable());
  } catch (error) {
    process.stderr.write(`netmedic probe: ${(error as Error).message}\n`);
    return 2;
  }
  const logger = pino({ name: "netmedic-probe", level: config.logLevel });
  const probe = await startProbe(config, logger);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  logger.info("probe stopping");
  await probe.close();
  return 0;
}
