/**
 * `npm run bench`: prints figures, never pass/fail. Runs the control-plane start-up bench, then the
 * scale/steady/churn bench at each size, each phase with its own time bound, and prints Markdown
 * tables for bench/RESULTS.md. Every process and temp dir a bench starts is stopped and removed.
 *
 *   npm run bench -- [--sizes 100,1000,5000] [--qps N|shipped] [--workers N] [--controller-env shipped|none] [--heap-mb N]
 *                    [--resync S] [--steady S] [--churn S]
 *                    [--converge-timeout S] [--startup-runs N] [--agent-seconds S (0 = skip; needs root)]
 *                    [--heal-runs N (time to heal, k0s incident; 0 = skip; needs root)]
 *                    [--controller-node-flags="--cpu-prof --cpu-prof-dir=DIR" (node flags of the scale bench's controller)]
 *                    [--agent-node-flags="--jitless" (node flags of the agent-footprint bench's agent; default: what the DaemonSet ships)]
 *                    [--protocol-sizes 1000,5000] [--protocol-seconds S (agents' steady state, shipped vs previous protocols; 0 = skip)]
 *                    [--protocols lease,watch,poll (which protocols, in this order)]
 *                    [--status-write-size N] [--status-write-rounds N (controller status write: apply vs merge patch; 0 = skip)]
 */
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { AGENT_NODE_OPTIONS } from "../src/controller/workloads/workloads.js";
import { runAgentFootprint } from "./agent-footprint.js";
import { shippedControllerEnv } from "./controller-process.js";
import { runScale, type ScaleResult } from "./scale.js";
import { protocolRequestTable, protocolTable, runProtocolBench } from "./protocol.js";
import { PROTOCOLS, type Protocol } from "./protocol-fleet.js";
import { runStartup } from "./startup.js";
import { runStatusWrites, statusWriteTable } from "./status-writes.js";
import { healTable, runTimeToHeal } from "./time-to-heal.js";

const log = (line: string) => void process.stdout.write(`${line}\n`);
const fixed = (value: number | undefined, digits = 1) => (value === undefined || Number.isNaN(value) ? "—" : value.toFixed(digits));

/** The bench's options from argv (after the script). */
export function benchOptions(argv: string[]) {
  const { values } = parseArgs({ args: argv, strict: true, options: {
    sizes: { type: "string", default: "100,1000,5000" }, qps: { type: "string", default: "1000" }, workers: { type: "string", default: "8" }, "heap-mb": { type: "string", default: "0" }, resync: { type: "string", default: "10" },
    steady: { type: "string", default: "60" }, churn: { type: "string", default: "60" }, "converge-timeout": { type: "string", default: "300" },
    "startup-runs": { type: "string", default: "3" }, "agent-seconds": { type: "string", default: "180" },
    "heal-runs": { type: "string", default: "5" }, "controller-node-flags": { type: "string", default: "" }, "controller-env": { type: "string", default: "shipped" },
    "agent-node-flags": { type: "string", default: AGENT_NODE_OPTIONS }, "apiserver-profile-seconds": { type: "string", default: "0" },
    "protocol-sizes": { type: "string", default: "1000,5000" }, "protocol-seconds": { type: "string", default: "300" }, protocols: { type: "string", default: "lease,watch,poll" },
    "status-write-size": { type: "string", default: "2000" }, "status-write-rounds": { type: "string", default: "3" },
  } });
  const qps = values.qps === "shipped" ? undefined : Number(values.qps);
  return {
    sizes: values.sizes.split(",").map(Number).filter((n) => n > 0),
    reconcile: qps === undefined ? undefined : { workers: Number(values.workers), apiQPS: qps, apiBurst: qps },
    controllerEnv: controllerEnv(values["controller-env"], Number(values["heap-mb"]) || undefined),
    resyncSeconds: Number(values.resync), steadySeconds: Number(values.steady), churnSeconds: Number(values.churn),
    convergeTimeoutSeconds: Number(values["converge-timeout"]), startupRuns: Number(values["startup-runs"]),
    agentSeconds: Number(values["agent-seconds"]), healRuns: Number(values["heal-runs"]),
    controllerNodeFlags: values["controller-node-flags"].split(/\s+/).filter(Boolean),
    agentNodeFlags: values["agent-node-flags"].split(/\s+/).filter(Boolean),
    apiserverProfileSeconds: Number(values["apiserver-profile-seconds"]),
    protocolSizes: values["protocol-sizes"].split(",").map(Number).filter((n) => n > 0), protocolSeconds: Number(values["protocol-seconds"]),
    protocols: values.protocols.split(",").filter(Boolean).map(protocolNamed),
    statusWriteSize: Number(values["status-write-size"]), statusWriteRounds: Number(values["status-write-rounds"]),
  };
}

/** The protocol named `name` (PROTOCOLS); an unknown name is a usage error. */
function protocolNamed(name: string): Protocol {
  const protocol = (PROTOCOLS as Record<string, Protocol | undefined>)[name];
  if (!protocol) throw new Error(`--protocols: unknown protocol ${JSON.stringify(name)} (expected some of ${Object.keys(PROTOCOLS).join(", ")})`);
  return protocol;
}

/**
 * The scale bench controller's environment: deploy/50-controller.yaml's (`shipped`) or none
 * (`none`: V8's and glibc's defaults); `heapMb` caps the old space on top (V8 takes the last flag).
 */
function controllerEnv(choice: string, heapMb: number | undefined): Record<string, string> {
  if (choice !== "shipped" && choice !== "none") throw new Error(`--controller-env: shipped or none, not ${choice}`);
  const env = choice === "shipped" ? shippedControllerEnv() : {};
  const nodeOptions = [env.NODE_OPTIONS, heapMb ? `--max-old-space-size=${heapMb}` : undefined].filter(Boolean).join(" ");
  return { ...env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) };
}

/** The machine line of RESULTS.md. */
function machine(): string {
  const gb = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
  return `${new Date().toISOString()} · ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}) · ${gb(totalmem())} GiB RAM (${gb(freemem())} free) · node ${process.version} · load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`;
}

/** The scale table, one row per size. */
export function scaleTable(results: readonly ScaleResult[]): string {
  const rows = results.map((r) => `| ${r.size} | ${fixed(r.populateSeconds)} | ${r.convergeSeconds === undefined ? `no (${r.correctAtEnd}/${r.size})` : fixed(r.convergeSeconds)} | ` +
    `${r.reconcilesConverge} | ${fixed(r.meanReconcileSeconds * 1000, 0)} | ${fixed(r.peakRssMb, 0)} | ${fixed(r.cpuSecondsConverge)} | ${r.creates} | ${r.statusWrites} | ` +
    `${fixed((r.creates + r.statusWrites) / r.size, 2)} | ${r.requestsConverge.get("POST events") ?? 0} | ${r.requestsConverge.get("GET pods/log") ?? 0} | ` +
    `${r.steady.reconciles} / ${r.steady.controllerWrites} / ${r.steady.writes} | ${r.churn.flips} / ${r.churn.reconciles} / ${r.churn.writes} |`);
  return ["| nodes | populate s | converge s | reconciles | ms/reconcile | peak RSS MB | CPU s | NH creates | status writes | writes/node | events | pods/log GETs | steady reconciles / ctrl status writes / all writes | churn flips / reconciles / status writes |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|", ...rows].join("\n");
}

/** API requests by verb while converging, one column per size. */
export function requestTable(results: readonly ScaleResult[]): string {
  const keys = [...new Set(results.flatMap((r) => [...r.requestsConverge.keys()]))].sort();
  const rows = keys.map((key) => `| ${key} | ${results.map((r) => r.requestsConverge.get(key) ?? 0).join(" | ")} |`);
  return [`| apiserver request (all clients) | ${results.map((r) => r.size).join(" | ")} |`, `|---|${results.map(() => "---|").join("")}`, ...rows].join("\n");
}

async function main(): Promise<void> {
  const options = benchOptions(process.argv.slice(2));
  log(`# netmedic bench — ${machine()}`);
  const rate = options.reconcile;
  log(`controller: ${rate ? `reconcile {workers ${rate.workers}, apiQPS ${rate.apiQPS}, apiBurst ${rate.apiBurst}}` : "shipped defaults (4 workers, 50 requests/s, burst 100)"}; resyncSeconds ${options.resyncSeconds}; ` +
    `env ${Object.entries(options.controllerEnv).map(([name, value]) => `${name}=${value}`).join(" ") || "(none)"}${options.controllerNodeFlags.length ? `; node ${options.controllerNodeFlags.join(" ")}` : ""}`);
  if (options.startupRuns > 0) {
    log("## control-plane start-up");
    const startup = await runStartup(options.startupRuns, log);
    log(`median ${fixed(startup.median)} s over ${startup.seconds.length} starts (${startup.seconds.map((s) => fixed(s)).join(", ")})`);
  }
  if (options.agentSeconds > 0) {
    log(`## agent footprint (node lab, default intervals${options.agentNodeFlags.length ? `; node ${options.agentNodeFlags.join(" ")}` : ""})`);
    const agent = await runAgentFootprint(30, options.agentSeconds, log, options.agentNodeFlags);
    if (agent) {
      log(`agent (${agent.compiled ? "compiled" : "tsx"}): peak RSS ${fixed(agent.peakRssMb)} MB, RSS ${fixed(agent.rssMb)} MB (anonymous ${fixed(agent.anonMb)}, file-backed ${fixed(agent.fileMb)}), start-up CPU ${fixed(agent.startupCpuSeconds, 2)} s, ` +
        `idle CPU ${fixed(agent.idleCpuSeconds, 2)} s in ${agent.windowSeconds} s → ${fixed(agent.cpuSecondsPerHour)} CPU s/hour, ${agent.heartbeats} heartbeats seen`);
    }
  }
  if (options.healRuns > 0) {
    log("## time to heal (k0s incident, node lab, default intervals)");
    const heal = await runTimeToHeal(options.healRuns, log);
    if (heal) log(`${healTable(heal)}\n(${machine()})`);
  }
  const results: ScaleResult[] = [];
  for (const size of options.sizes) {
    log(`## scale ${size}`);
    results.push(await runScale({ ...options, size }, log));
    log(scaleTable(results.slice(-1)));
  }
  if (results.length > 0) {
    log(`\n## scale, all sizes (${machine()})\n${scaleTable(results)}\n\n${requestTable(results)}`);
    for (const r of results) log(`steady ${r.size}: ${[...r.steady.requests].map(([k, v]) => `${k} ${v}`).join(", ")}`);
  }
  if (options.protocolSeconds > 0) await protocolPhase(options.protocolSizes, options.protocolSeconds, options.protocols);
  if (options.statusWriteRounds > 0) {
    log(`## controller status writes at ${options.statusWriteSize} nodes: server-side apply vs JSON merge patch`);
    const rounds = await runStatusWrites(options.statusWriteSize, options.statusWriteRounds, log);
    log(`${statusWriteTable(options.statusWriteSize, rounds)}\n(${machine()})`);
  }
}

/** The agents' steady state: shipped vs previous protocols, side by side per size. */
async function protocolPhase(sizes: readonly number[], seconds: number, protocols: readonly Protocol[]): Promise<void> {
  for (const size of sizes) {
    log(`## agent protocol at ${size} nodes (${seconds} s per protocol)`);
    const windows = await runProtocolBench(size, seconds, protocols, log);
    log(`${protocolTable(size, windows)}\n\n${protocolRequestTable(size, windows)}\n(${machine()})`);
  }
}

await main();
