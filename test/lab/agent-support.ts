// Helpers of the agent/probe lab tests: an in-memory NetworkHealth store (the API stand-in where a
// test is about the host, not the wire), a captured pino logger, `netmedic probe` as an
// unprivileged process in the lab's pod netns, and TLS stand-ins for apiservers on the control host.
import type { ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { PROBE_TARGETS_ANNOTATION, type ActionResult, type NetworkHealth, type NetworkHealthStatus, type PlannedAction, type ProbeTargets } from "../../src/api/index.js";
import { encodeProbeTargets } from "../../src/core/index.js";
import { Agent } from "../../src/agent/agent.js";
import type { NetworkHealthStore } from "../../src/agent/agent-config.js";
import { HostNetworkDialer } from "../../src/agent/host-dialer.js";
import { HostExecutor } from "../../src/agent/host-executor.js";
import { run, type Lab, type LabHost } from "../support/lab/index.js";
import { TEST_TLS_CERT, TEST_TLS_KEY } from "../unit/probe/tls-fixture.js";

/** NetworkHealth kept in memory; `applyStatus` merges the agent's fields like an SSA apply would. */
export class MemoryNetworkHealthStore implements NetworkHealthStore {
  readonly applied: NetworkHealthStatus[] = [];
  object: NetworkHealth | undefined;

  /** A NetworkHealth as the controller creates it: named, with its probe targets' annotation. */
  constructor(name: string, targets: ProbeTargets = {}) {
    const annotations = { [PROBE_TARGETS_ANNOTATION]: encodeProbeTargets(targets) };
    this.object = { apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name, annotations }, status: {} };
  }

  async get(): Promise<NetworkHealth | undefined> {
    return this.object ? structuredClone(this.object) : undefined;
  }

  async applyStatus(_name: string, status: NetworkHealthStatus): Promise<NetworkHealth> {
    if (!this.object) throw Object.assign(new Error("not found"), { code: 404 });
    this.applied.push(structuredClone(status));
    const { facts: _f, probes: _p, agent: _a, ...controllerOwned } = this.object.status ?? {};
    this.object.status = { ...controllerOwned, ...structuredClone(status) };
    return structuredClone(this.object);
  }

  /** What the controller would write into the status: an order… (controller-owned fields). */
  setControllerFields(fields: NetworkHealthStatus): void {
    if (this.object) this.object.status = { ...this.object.status, ...fields };
  }

  /** Writes an order as the controller does: phase Pending, these actions. */
  order(orderId: string, actions: PlannedAction[]): void {
    this.setControllerFields({ remediation: { phase: "Pending", orderId, actions } });
  }

  /** The agent's reported results of one order. */
  resultsOf(orderId: string): ActionResult[] {
    return (this.object?.status?.agent?.results ?? []).filter((r) => r.orderId === orderId);
  }
}

/** An agent on the lab's worker, the pod probe it asks, and the store it reports to. */
export interface LabAgent {
  agent: Agent;
  store: MemoryNetworkHealthStore;
  probe: PodProbe;
}

/**
 * Starts `netmedic probe` in the pod on :9090 and builds an agent that enters the worker through its
 * PID, with the store holding the lab's probe targets (konnectivity :8132 and the apiserver :6443 on
 * the control host, the probe's endpoint) as the controller would annotate them.
 */
export async function startLabAgent(lab: Lab, logger: Logger, probeTimeoutMs = 2500): Promise<LabAgent> {
  const probe = await startPodProbe(lab, 9090);
  const { control } = lab.addresses;
  const store = new MemoryNetworkHealthStore(lab.hostname, { konnectivity: [`${control}:8132`], apiServers: [`${control}:6443`], probeEndpoint: probe.endpoint });
  const host = new HostExecutor(lab.workerPid);
  const agent = new Agent(
    { nodeName: lab.hostname, intervalMs: 1000, heartbeatMs: 30_000, probeTimeoutMs, podNetwork: {}, version: "test" },
    { store, host, dialer: new HostNetworkDialer(host), logger },
  );
  return { agent, store, probe };
}

/** A pino logger whose JSON lines are kept in `lines`. */
export function captureLogger(level = "debug"): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => void (lines.push(String(chunk)), done()) });
  return { logger: pino({ level }, sink), lines };
}

/** `node --import tsx`: runs the TypeScript sources the way production runs dist/. */
export function tsxNode(): string[] {
  return [process.execPath, "--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href];
}

/** Reads a child's stdout until `marker` appears (or fails after timeoutMs). */
export function waitForOutput(child: ChildProcess, marker: string, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no "${marker}" within ${timeoutMs} ms; output: ${out.slice(-500)}`)), timeoutMs);
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes(marker)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before "${marker}": ${out.slice(-500)}`));
    });
  });
}

/** A running `netmedic probe` with its log lines so far. */
export interface PodProbe {
  child: ChildProcess;
  endpoint: string;
  log: () => string;
}

/** Starts `netmedic probe --listen podIP:port …` in the pod netns as user nobody (unprivileged, no token). */
export async function startPodProbe(lab: Lab, port: number, extraArgs: string[] = []): Promise<PodProbe> {
  const main = fileURLToPath(new URL("../../src/probe/main.ts", import.meta.url));
  const script = `const { runProbe } = await import(${JSON.stringify(pathToFileURL(main).href)}); process.exitCode = await runProbe(process.argv.slice(1));`;
  const argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", ...tsxNode(), "--input-type=module", "-e", script, "--",
    "--listen", `${lab.addresses.podIP}:${port}`, "--log-level", "debug", ...extraArgs];
  const child = lab.spawnIn("pod", argv, { stdio: ["pipe", "pipe", "pipe"] });
  let log = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (log += d));
  log += await waitForOutput(child, '"msg":"probe listening"');
  child.stdout?.on("data", (d: string) => (log += d));
  return { child, endpoint: `${lab.addresses.podIP}:${port}`, log: () => log };
}

// Fixed program: an HTTPS server answering every request with the given status and body.
const TLS_SERVER = `
const https = require("https");
const [host, port, status, body, key, cert] = process.argv.slice(1);
process.stdin.on("end", () => process.exit(0)).resume();
https.createServer({ key, cert }, (req, res) => { res.writeHead(Number(status), { "content-type": "application/json" }); res.end(body); })
  .listen(Number(port), host, () => process.stdout.write("listening\\n"));
`;

/** An HTTPS stand-in (etcd-only server or apiserver) listening in a lab host's netns. */
export async function startTlsServer(lab: Lab, which: LabHost, host: string, port: number, status: number, body: string): Promise<ChildProcess> {
  const child = lab.spawnIn(which, [process.execPath, "-e", TLS_SERVER, "--", host, String(port), String(status), body, TEST_TLS_KEY, TEST_TLS_CERT], { stdio: ["pipe", "pipe", "inherit"] });
  await waitForOutput(child, "listening");
  return child;
}

/** This machine's own network and kernel state: must be identical before and after a lab test. */
export async function machineState(): Promise<Record<string, unknown>> {
  const read = (p: string): string => (existsSync(p) ? readFileSync(p, "utf8").trim() : "absent");
  return {
    ipForward: read("/proc/sys/net/ipv4/ip_forward"),
    bridgeNf: read("/proc/sys/net/bridge/bridge-nf-call-iptables"),
    pidMax: read("/proc/sys/kernel/pid_max"),
    routes: (await run(["ip", "route", "show"])).stdout,
    nft: (await run(["nft", "list", "ruleset"])).stdout,
    rpFilter: ["all", "default"].map((c) => read(`/proc/sys/net/ipv4/conf/${c}/rp_filter`)),
    sysctlConf: read("/etc/sysctl.d/90-netmedic.conf"),
    rpFilterConf: read("/etc/sysctl.d/99-zzz-netmedic-rp-filter.conf"),
    modulesConf: read("/etc/modules-load.d/netmedic.conf"),
    vxlanUdevRule: read("/etc/udev/rules.d/90-netmedic-vxlan-checksum.rules"),
    trustedZone: read("/etc/firewalld/zones/trusted.xml"),
    k0sService: read("/etc/firewalld/services/k0s-worker.xml"),
    ufwConf: read("/etc/ufw/ufw.conf"),
    ufwUserRules: read("/etc/ufw/user.rules"),
    ufwUser6Rules: read("/etc/ufw/user6.rules"),
    ufwDefaults: read("/etc/default/ufw"),
    rancher: existsSync("/etc/rancher"),
  };
}
