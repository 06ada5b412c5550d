/**
 * Time to heal (issue 7): the k0s incident (FACTS §1) on a fresh node lab per run — ip_forward=0
 * while the pod bridge forwards into firewalld's reject — with the real processes at their shipped
 * default intervals: `netmedic controller` (config `{}`), `netmedic agent` and `netmedic probe`
 * (no interval flags), and the konnectivity-agent stand-in. From the stand-in's first failed dial
 * to Ready=True, split into detect / decide / apply / verify. Needs root (the lab).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { AGENT_LEASE_NAMESPACE } from "../src/api/index.js";
import { startControlPlane, type ControlPlane } from "../test/support/control-plane/control-plane.js";
import { createReadyNode } from "../test/support/control-plane/kubelet.js";
import { deleteObjects, ensureNamespace, type E2EEnv } from "../test/support/e2e/controller.js";
import { createKonnectivityAgentPod, PROBE_PORT } from "../test/support/e2e/k0s-worker.js";
import { hasCondition, NetworkHealthFollower } from "../test/support/e2e/networkhealth.js";
import { phases, type HealRun } from "./heal-phases.js";
import { startProcess, waitForOutput, type RunningProcess } from "../test/support/e2e/processes.js";
import { startKonnectivityAgentStandIn } from "../test/support/e2e/standins.js";
import { missingPrerequisites, startLab, type Lab } from "../test/support/lab/index.js";
import { AGENT_NODE_OPTIONS } from "../src/controller/workloads/workloads.js";
import { buildOnce, netmedicCli } from "./controller-process.js";
import { median } from "./lib.js";

const RUN_TIMEOUT_MS = 300_000;
const COLUMNS: [string, keyof HealRun][] = [["detect s", "detect"], ["decide s", "decide"], ["apply s", "apply"], ["verify s", "verify"], ["**total s**", "total"],
  ["(t0 → agent process up)", "agentUp"], ["(order written → agent picks it up)", "pickup"], ["(order picked up → OpenHostFirewall done)", "firewall"]];
const HEADER = [`| run | ${COLUMNS.map(([title]) => title).join(" | ")} |`, `|---|${COLUMNS.map(() => "---|").join("")}`];
const row = (label: string, value: (key: keyof HealRun) => number) => `| ${label} | ${COLUMNS.map(([, key]) => value(key).toFixed(1)).join(" | ")} |`;

/** Runs `runs` heals on one private control plane; undefined (reason logged) without root or lab tools. */
export async function runTimeToHeal(runs: number, log: (line: string) => void): Promise<HealRun[] | undefined> {
  const missing = missingPrerequisites();
  if (missing.length > 0) return void log(`  skipped: lab prerequisites missing (${missing.join(", ")})`);
  // No kubelet heartbeat here (it would enqueue the node every beat and hide the product's own
  // cadence), so the Nodes must stay Ready without one.
  const plane = await startControlPlane({ nodeMonitorGracePeriodSeconds: 3600 });
  // deploy/ creates it: with it the agent heartbeats by its Lease, as shipped (without, it would fall back).
  await ensureNamespace(adminOf(plane), AGENT_LEASE_NAMESPACE);
  const results: HealRun[] = [];
  log(`  netmedic ${buildOnce() ? "compiled" : "under tsx (the bench build failed)"}; boundaries: see phases() in bench/time-to-heal.ts`);
  log(HEADER.join("\n"));
  try {
    for (let run = 1; run <= runs; run += 1) {
      const result = await healOnce(plane, run, log);
      results.push(result);
      log(row(String(run), (key) => result[key]));
    }
  } finally {
    await plane.stop();
  }
  return results;
}

/** The table's header and its median row. */
export function healTable(results: readonly HealRun[]): string {
  return [...HEADER, row(`**median of ${results.length}**`, (key) => median(results.map((r) => r[key])))].join("\n");
}

function adminOf(plane: ControlPlane): KubeConfig {
  const admin = new KubeConfig();
  admin.loadFromFile(plane.kubeconfigPath);
  return admin;
}

/** One heal: controller leading first, then a broken k0s worker joins; always torn down. */
async function healOnce(plane: ControlPlane, run: number, log: (line: string) => void): Promise<HealRun> {
  const admin = adminOf(plane);
  const env: E2EEnv = { kubeConfig: admin, kubeconfigPath: plane.kubeconfigPath, dir: mkdtempSync(join(tmpdir(), "netmedic-bench-heal-")) };
  const node = `k0s-heal-${run}`;
  const processes: RunningProcess[] = [];
  let lab: Lab | undefined;
  let follower: NetworkHealthFollower | undefined;
  let keepLogs = false;
  try {
    await startController(env, `netmedic-heal-${run}`, processes);
    lab = await startLab({ ipForward: 0, bridgeNfCallIptables: 0 });
    // The incident's twist (FACTS §3): the CNI enabled forwarding on its own bridge → firewalld's reject.
    const bridge = await lab.execIn("worker", ["sysctl", "-w", `net.ipv4.conf.${lab.addresses.bridge}.forwarding=1`]);
    if (bridge.code !== 0) throw new Error(`cannot enable forwarding on the pod bridge: ${bridge.stderr}`);
    follower = new NetworkHealthFollower(admin, node).start(200);
    const [konnectivity, agent] = await joinWorker(env, lab, node, processes);
    const healed = await follower.waitFor("Ready=True, Remediating Succeeded", (h) => hasCondition(h, "Ready", "True") && hasCondition(h, "Remediating", "False", "Succeeded"), RUN_TIMEOUT_MS);
    // The follower's transitions show which write carried what, when a figure looks wrong.
    if (process.env.NETMEDIC_BENCH_HEAL_DEBUG) log(follower.history());
    return phases(follower, healed, konnectivity, agent);
  } catch (error) {
    keepLogs = true;
    log(`  run ${run} failed; logs kept in ${env.dir}`);
    throw error;
  } finally {
    follower?.stop();
    for (const proc of processes.reverse()) await proc.stop();
    // The next run's controller would reconcile this node too; its NetworkHealth goes with it (ownerReference).
    await deleteObjects(admin, [node], [`konnectivity-agent-${node}`]).catch(() => undefined);
    await lab?.stop();
    if (!keepLogs) rmSync(env.dir, { recursive: true, force: true });
  }
}

/** The shipped controller (compiled), config `{}` = every default, added to `started`; resolves once it leads. */
async function startController(env: E2EEnv, namespace: string, started: RunningProcess[]): Promise<void> {
  await ensureNamespace(env.kubeConfig, namespace);
  const configPath = join(env.dir, "controller-config.yaml");
  writeFileSync(configPath, "{}\n");
  const proc = startProcess("controller", [...netmedicCli(), "controller", "--kubeconfig", env.kubeconfigPath, "--namespace", namespace,
    "--config", configPath, "--listen", "127.0.0.1:0"], env.dir);
  started.push(proc);
  await waitForOutput(proc, '"msg":"leading: reconciling"', 60_000);
}

/**
 * What a k0s worker joining does (k0s-worker.ts's order, at default intervals and without the
 * kubelet heartbeat): Node, konnectivity-agent Pod and stand-in, probe, agent. The probe pod IP is
 * given by flag, as in the e2e test (deployment wiring, not timing).
 */
async function joinWorker(env: E2EEnv, lab: Lab, node: string, started: RunningProcess[]): Promise<[RunningProcess, RunningProcess]> {
  const { addresses } = lab;
  await lab.writeFile("/var/lib/k0s/.netmedic-lab", "");
  await createReadyNode(env.kubeConfig, { name: node, internalIP: addresses.workerUplink, podCIDR: addresses.podCIDR });
  await createKonnectivityAgentPod(env.kubeConfig, `konnectivity-agent-${node}`, node, addresses.control, addresses.podIP);
  const konnectivity = startKonnectivityAgentStandIn(lab, env.dir, addresses.control, 8132, "konnectivity-agent");
  started.push(konnectivity);
  const unprivileged = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];
  const probe = startProcess("probe", [...unprivileged, ...netmedicCli(), "probe", "--listen", `${addresses.podIP}:${PROBE_PORT}`],
    env.dir, (argv, options) => lab.spawnIn("pod", argv, options));
  started.push(probe);
  // The node flags the agent DaemonSet ships (NODE_OPTIONS there).
  const agent = startProcess("agent", [...netmedicCli(AGENT_NODE_OPTIONS.split(" ")), "agent", "--node-name", node, "--host-pid", String(lab.workerPid),
    "--kubeconfig", env.kubeconfigPath, "--probe-endpoint", `${addresses.podIP}:${PROBE_PORT}`], env.dir);
  started.push(agent);
  await waitForOutput(probe, '"msg":"probe listening"');
  return [konnectivity, agent];
}
