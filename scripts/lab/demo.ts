/**
 * `npm run lab`: the k0s incident, live, on this machine. Starts a private control plane (etcd +
 * kube-apiserver + controller-manager + scheduler on loopback), a node lab broken like the k0s
 * worker (ip_forward=0 with the pod bridge forwarding into firewalld's reject), the konnectivity-agent
 * stand-in, `netmedic probe`, `netmedic agent` and `netmedic controller`, then prints every change of
 * the worker's NetworkHealth on one line until it is Ready=True (or the timeout), and tears it all
 * down — also on Ctrl-C. Needs root and the provisioning of `npm run control-plane:install` and
 * `npm run lab:install`. Logs of every process stay in the printed directory.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../../test/support/control-plane/control-plane.js";
import { startLab, type Lab } from "../../test/support/lab/index.js";
import { e2eConfig, startControllerProcess } from "../../test/support/e2e/controller.js";
import { startK0sWorker, type K0sWorker } from "../../test/support/e2e/k0s-worker.js";
import { hasCondition, NetworkHealthFollower } from "../../test/support/e2e/networkhealth.js";
import { stopAllProcesses, type RunningProcess } from "../../test/support/e2e/processes.js";

const TIMEOUT_MS = Number(process.env["NETMEDIC_LAB_TIMEOUT_SECONDS"] ?? "180") * 1000;
const NODE = "k0s-worker-1";

const say = (text: string): void => void process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${text}\n`);

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "netmedic-lab-"));
  let cp: ControlPlane | undefined;
  let lab: Lab | undefined;
  let worker: K0sWorker | undefined;
  let controller: RunningProcess | undefined;
  let follower: NetworkHealthFollower | undefined;
  let tearing: Promise<void> | undefined;
  const teardown = (): Promise<void> => (tearing ??= (async () => {
    say("tearing down");
    follower?.stop();
    await controller?.stop().catch(() => undefined);
    await worker?.stop().catch(() => undefined);
    await stopAllProcesses();
    await lab?.stop().catch((error: unknown) => say(`lab: ${String(error)}`));
    await cp?.stop().catch(() => undefined);
    say(`done; logs in ${dir}`);
  })());
  const interrupted = new Promise<number>((resolve) => {
    // Ctrl-C reaches this process up to three times (the terminal's process group, then npm and tsx
    // forward it): keep the handler for all of them, or a repeat would kill the process mid-teardown.
    const onSignal = (signal: string): void => {
      if (!tearing) say(`${signal}: stopping`);
      void teardown().then(() => resolve(130));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  const story = async (): Promise<number> => {
    say("starting a private control plane (etcd, kube-apiserver v1.20, controller-manager, scheduler)");
    cp = await startControlPlane();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(cp.kubeconfigPath);
    const env = { kubeConfig, kubeconfigPath: cp.kubeconfigPath, dir };
    say("starting the node lab: a k0s worker behind firewalld, ip_forward=0, cni0 forwarding into firewalld's reject");
    lab = await startLab({ ipForward: 0, bridgeNfCallIptables: 0 });
    await lab.execIn("worker", ["sysctl", "-w", `net.ipv4.conf.${lab.addresses.bridge}.forwarding=1`]);
    say(`worker ${lab.addresses.workerUplink}, pod ${lab.addresses.podIP}, control host ${lab.addresses.control} (8132 konnectivity, 6443 apiserver)`);
    worker = await startK0sWorker(env, lab, NODE);
    say("konnectivity-agent stand-in, netmedic probe and netmedic agent are running; starting netmedic controller");
    controller = await startControllerProcess(env, "netmedic", e2eConfig());
    follower = new NetworkHealthFollower(kubeConfig, NODE, (t) => say(`nh/${NODE}  ${t.line}`)).start();
    const healed = await follower.waitFor("Ready=True", (h) => hasCondition(h, "Ready", "True") && hasCondition(h, "Remediating", "False", "Succeeded"), TIMEOUT_MS);
    for (const record of healed.status?.history ?? []) say(`history  ${record.time}  ${record.action}  ${record.result}  ${record.detail ?? ""}`);
    const connected = worker.konnectivityAgent.output().split("\n").find((line) => line.includes('"Connect to server"'));
    say(`konnectivity-agent: ${connected ?? "(not connected yet)"}`);
    say(`healed: ${healed.status?.diagnosis?.summary ?? ""}`);
    return 0;
  };
  const outcome = story().catch((error: unknown) => {
    say(`failed: ${(error as Error).message}`);
    return 1;
  });
  const code = await Promise.race([outcome, interrupted]);
  await teardown();
  return code;
}

// Exit explicitly: a step interrupted mid-way (Ctrl-C during start-up) must not keep the process alive.
process.exit(await main());
