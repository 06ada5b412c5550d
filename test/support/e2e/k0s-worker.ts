/**
 * A k0s worker end to end, as in the k0s incident (docs/architecture.md §8.1): the lab worker registered as a
 * heartbeating Node, a konnectivity-agent Pod (Running) whose stand-in process dials the lab's
 * control host from the pod netns, `netmedic probe` in the pod netns, and `netmedic agent`
 * entering the worker through --host-pid.
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Lab } from "../lab/index.js";
import { createReadyNode, markPodRunning, startHeartbeat, type Heartbeat } from "../control-plane/kubelet.js";
import type { E2EEnv } from "./controller.js";
import { netmedicArgv, startProcess, waitForOutput, type RunningProcess } from "./processes.js";
import { startKonnectivityAgentStandIn } from "./standins.js";

/** The probe pod's port. */
export const PROBE_PORT = 9465;

/** A running k0s worker. */
export interface K0sWorker {
  node: string;
  pod: string;
  lab: Lab;
  heartbeat: Heartbeat;
  konnectivityAgent: RunningProcess;
  probe: RunningProcess;
  agent: RunningProcess;
  /** Stops the processes (by PID) and the heartbeat; the caller deletes objects and stops the lab. */
  stop(): Promise<void>;
}

/** Creates the konnectivity-agent Pod on `nodeName` with k0s' real args, marked Running with `podIP`. */
export async function createKonnectivityAgentPod(kubeConfig: KubeConfig, name: string, nodeName: string, serverHost: string, podIP: string): Promise<void> {
  const args = ["--logtostderr=true", "--ca-cert=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", `--proxy-server-host=${serverHost}`,
    "--proxy-server-port=8132", "--service-account-token-path=/var/run/secrets/tokens/konnectivity-agent-token", "--agent-identifiers=host=$(NODE_IP)"];
  await kubeConfig.makeApiClient(CoreV1Api).createNamespacedPod({
    namespace: "kube-system",
    body: {
      metadata: { name, labels: { "k8s-app": "konnectivity-agent" } },
      spec: { nodeName, containers: [{ name: "konnectivity-agent", image: "quay.io/k0sproject/apiserver-network-proxy-agent:v0.31.0", args }] },
    },
  });
  await markPodRunning(kubeConfig, "kube-system", name, podIP);
}

/**
 * Brings up everything of a k0s worker on `lab` (which the caller started broken and stops):
 * Node `node`, its konnectivity-agent Pod and stand-in, the probe and the agent processes.
 */
export async function startK0sWorker(env: E2EEnv, lab: Lab, node: string): Promise<K0sWorker> {
  const { addresses } = lab;
  await lab.writeFile("/var/lib/k0s/.netmedic-lab", "");
  const spec = { name: node, internalIP: addresses.workerUplink, podCIDR: addresses.podCIDR };
  await createReadyNode(env.kubeConfig, spec);
  const heartbeat = startHeartbeat(env.kubeConfig, spec, 5000);
  const pod = `konnectivity-agent-${node}`;
  await createKonnectivityAgentPod(env.kubeConfig, pod, node, addresses.control, addresses.podIP);
  const konnectivityAgent = startKonnectivityAgentStandIn(lab, env.dir, addresses.control, 8132, `konnectivity-agent-${node}`);
  const unprivileged = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];
  const probe = startProcess(`probe-${node}`, [...unprivileged, ...netmedicArgv("probe", "--listen", `${addresses.podIP}:${PROBE_PORT}`, "--log-level", "debug")],
    env.dir, (argv, options) => lab.spawnIn("pod", argv, options));
  await waitForOutput(probe, '"msg":"probe listening"');
  const agent = startProcess(`agent-${node}`, netmedicArgv("agent", "--node-name", node, "--host-pid", String(lab.workerPid), "--kubeconfig", env.kubeconfigPath,
    "--interval", "1s", "--heartbeat", "5s", "--probe-timeout", "2s", "--probe-endpoint", `${addresses.podIP}:${PROBE_PORT}`, "--log-level", "debug"), env.dir);
  return {
    node, pod, lab, heartbeat, konnectivityAgent, probe, agent,
    async stop() {
      heartbeat.stop();
      await Promise.all([agent.stop(), probe.stop(), konnectivityAgent.stop()]);
    },
  };
}

/** What netmedic's fixes would change on the lab worker: sysctls, firewalld's runtime and permanent zones, persisted files. */
export async function k0sLabState(lab: Lab): Promise<Record<string, string>> {
  const firewall = async (...args: string[]): Promise<string> => {
    const r = await lab.execIn("worker", ["firewall-cmd", ...args]);
    return `${r.code} ${r.stdout.trim()} ${r.stderr.trim()}`;
  };
  const file = async (path: string): Promise<string> => lab.readFile(path).catch(() => "absent");
  return {
    ipForward: await lab.readSysctl("net.ipv4.ip_forward"),
    bridgeForwarding: await lab.readSysctl(`net.ipv4.conf.${lab.addresses.bridge}.forwarding`),
    bridgeNfCallIptables: await lab.readSysctl("net.bridge.bridge-nf-call-iptables"),
    zoneOfBridge: await firewall(`--get-zone-of-interface=${lab.addresses.bridge}`),
    trusted: await firewall("--zone=trusted", "--list-all"),
    public: await firewall("--zone=public", "--list-all"),
    trustedPermanent: await firewall("--permanent", "--zone=trusted", "--list-all"),
    publicPermanent: await firewall("--permanent", "--zone=public", "--list-all"),
    k0sWorkerService: await firewall("--permanent", "--info-service=k0s-worker"),
    sysctlConf: await file("/etc/sysctl.d/90-netmedic.conf"),
    modulesConf: await file("/etc/modules-load.d/netmedic.conf"),
  };
}
