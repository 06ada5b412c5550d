/**
 * `netmedic probe --listen ADDR:PORT [--allow CIDR[,CIDR]] [--allow-target HOST:PORT[,…]]
 *  [--target-ports P[,P]] [--max-concurrent N] [--rate PER_SECOND] [--log-level L]`
 * (the flag convention of every entry point: core/flags.ts; N and PER_SECOND are counts).
 *
 * Runs in the pod network, unprivileged, with no API token: it only dials on behalf of its own
 * node's agent. The pod's default gateway (the host's side of the pod's link) is always an allowed
 * source; `--allow $(HOST_IP)/32` adds the node IP for CNIs without a bridge.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { pino, type Logger } from "pino";
import { DEFAULT_TARGET_PORTS, defaultGatewayFromRouteTable, parseCIDR, RateLimiter, SourceAllowlist, TargetPolicy } from "./policy.js";
import { createProbeServer } from "./server.js";
import { parseDialTarget } from "../dial/target.js";
import { asUsageError, checkedFlag, integerFlag, invalidFlag, logLevelFlag, UsageError } from "../core/flags.js";

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

/** The bounds of the probe's counts: at least one, and no more than a probe serving one agent could use. */
const COUNT = { min: 1, max: 10_000 };

function listenAddress(value: string | undefined): { host: string; port: number } {
  if (value === undefined) throw new UsageError("--listen IP:PORT is required");
  const listen = /^(?:\[([0-9a-f:.]+)\]|([0-9.]+)):([0-9]{1,5})$/i.exec(value);
  const port = Number(listen?.[3]);
  if (!listen || port > 65535) throw invalidFlag("listen", value, "IP:PORT such as 0.0.0.0:9090 or [::]:9090");
  return { host: listen[1] ?? listen[2] ?? "", port };
}

/** Parses the probe's flags; throws a UsageError naming the bad flag. */
export function parseProbeArgs(argv: string[], routeTable?: string): ProbeConfig & { logLevel: string } {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      listen: { type: "string" }, allow: { type: "string", multiple: true }, "allow-target": { type: "string", multiple: true },
      "target-ports": { type: "string" }, "max-concurrent": { type: "string" }, rate: { type: "string" }, "log-level": { type: "string" },
    },
  });
  const { host, port } = listenAddress(values.listen);
  // The pod's default gateway is the host side of its link (the bridge address with a bridge CNI)
  // and is always allowed; --allow adds sources, e.g. the node IP for CNIs without a bridge.
  const gateway = routeTable === undefined ? undefined : defaultGatewayFromRouteTable(routeTable);
  const given = list(values.allow).map((c) => checkedFlag("allow", c, "a CIDR such as 10.0.0.0/8", () => (parseCIDR(c), c)) ?? "");
  const allow = [...given, ...(gateway ? [`${gateway}/32`] : [])];
  if (allow.length === 0) throw new UsageError("no allowed source: pass --allow CIDR (no default gateway found)");
  const allowTargets = list(values["allow-target"]).map((t) => checkedFlag("allow-target", t, "HOST:PORT", (v) => parseDialTarget(v).text) ?? "");
  const ports = values["target-ports"];
  const targetPorts = ports === undefined ? [...DEFAULT_TARGET_PORTS] : list([ports]).map((p) => integerFlag("target-ports", p, 0, { min: 1, max: 65535 }));
  return {
    host, port, allow, allowTargets, targetPorts,
    maxConcurrent: integerFlag("max-concurrent", values["max-concurrent"], 4, COUNT),
    ratePerSecond: integerFlag("rate", values.rate, 5, COUNT),
    logLevel: logLevelFlag(values["log-level"]),
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
    const usage = asUsageError(error);
    if (!usage) throw error;
    process.stderr.write(`netmedic probe: ${usage.message}\n`);
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
