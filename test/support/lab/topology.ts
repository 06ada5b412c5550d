// The lab's network: control <-veth-> worker (uplink eth0) ; worker cni0 bridge <-veth-> pod.
// Every link is created inside the lab's namespaces (never in this machine's network namespace),
// and every address is private and derived from the lab's index, so labs can coexist.
import { mustRun, nsenterArgv, run } from "./run.js";

/** The lab's addresses. Only these (and loopback) may be dialed by tests: docs/architecture.md §8.5. */
export interface LabAddresses {
  /** Controller host on the node network: listens on 8132 (konnectivity) and 6443 (apiserver). */
  control: string;
  /** Worker's address on the node network (its uplink `eth0`). */
  workerUplink: string;
  /** The node network, e.g. 10.213.7.0/24. */
  nodeCIDR: string;
  /** The pod's address behind the bridge. */
  podIP: string;
  /** The worker's pod CIDR (inside k0s' default 10.244.0.0/16). */
  podCIDR: string;
  /** The worker's pod bridge. */
  bridge: "cni0";
  /** The bridge's address: the pod's default gateway. */
  bridgeIP: string;
  /** The worker's uplink interface name. */
  uplink: "eth0";
  /** The worker-side veth of the pod (a port of cni0). */
  podVeth: string;
}

/** Addresses for lab number `index` (1..254). */
export function addressesFor(index: number): LabAddresses {
  return {
    control: `10.213.${index}.1`,
    workerUplink: `10.213.${index}.2`,
    nodeCIDR: `10.213.${index}.0/24`,
    podIP: `10.244.${index}.2`,
    podCIDR: `10.244.${index}.0/24`,
    bridge: "cni0",
    bridgeIP: `10.244.${index}.1`,
    uplink: "eth0",
    podVeth: "vethpod0",
  };
}

/** Fault state of the worker's kernel. */
export interface WorkerKernelState {
  ipForward: 0 | 1;
  bridgeNfCallIptables: 0 | 1;
}

/** PIDs (inside the namespaces) of the three lab hosts. */
export interface LabPids {
  control: number;
  worker: number;
  pod: number;
}

const ip = (pid: number, ...argv: string[]): Promise<string> => mustRun(nsenterArgv(pid, ["net"], ["ip", ...argv]));
const sysctl = (pid: number, name: string, value: string | number): Promise<string> =>
  mustRun(nsenterArgv(pid, ["net"], ["sysctl", "-q", "-w", `${name}=${value}`]));

/**
 * Creates links, addresses and routes. The control host gets NO route to the pod CIDR, as on a real
 * node network: pod traffic only comes back if the worker masquerades it (docs/architecture.md §8.3).
 */
export async function wireTopology(p: LabPids, a: LabAddresses): Promise<void> {
  for (const pid of [p.control, p.worker, p.pod]) await ip(pid, "link", "set", "lo", "up");
  await ip(p.control, "link", "add", "eth0", "type", "veth", "peer", "name", a.uplink, "netns", String(p.worker));
  await ip(p.worker, "link", "add", a.bridge, "type", "bridge");
  await ip(p.worker, "link", "add", a.podVeth, "type", "veth", "peer", "name", "eth0", "netns", String(p.pod));
  await ip(p.worker, "link", "set", a.podVeth, "master", a.bridge);

  await ip(p.control, "addr", "add", `${a.control}/24`, "dev", "eth0");
  await ip(p.worker, "addr", "add", `${a.workerUplink}/24`, "dev", a.uplink);
  await ip(p.worker, "addr", "add", `${a.bridgeIP}/24`, "dev", a.bridge);
  await ip(p.pod, "addr", "add", `${a.podIP}/24`, "dev", "eth0");
  for (const [pid, dev] of [[p.control, "eth0"], [p.worker, a.uplink], [p.worker, a.bridge], [p.worker, a.podVeth], [p.pod, "eth0"]] as const) {
    await ip(pid, "link", "set", dev, "up");
  }
  await ip(p.pod, "route", "add", "default", "via", a.bridgeIP);
  await ip(p.worker, "route", "add", "default", "via", a.control);

  // Deterministic rejects: no ICMP rate limiting inside the lab (per network namespace).
  for (const pid of [p.control, p.worker, p.pod]) await sysctl(pid, "net.ipv4.icmp_ratelimit", 0);
}

/**
 * Sets the worker's forwarding and bridge-netfilter sysctls. br_netfilter may be built in (then
 * modprobe fails but /proc/sys/net/bridge exists): a failing modprobe is tolerated.
 */
export async function setWorkerKernel(worker: number, k: WorkerKernelState): Promise<void> {
  await sysctl(worker, "net.ipv4.ip_forward", k.ipForward);
  // Loading a module is machine-wide: only try when the bridge sysctls are absent.
  const bridgeSysctls = ["sysctl", "-n", "net.bridge.bridge-nf-call-iptables"];
  if ((await run(nsenterArgv(worker, ["net"], bridgeSysctls))).code !== 0) {
    await run(nsenterArgv(worker, ["net"], ["modprobe", "br_netfilter"]), { timeoutMs: 5000 });
  }
  const probe = await run(nsenterArgv(worker, ["net"], bridgeSysctls));
  if (probe.code !== 0) {
    if (k.bridgeNfCallIptables === 1) throw new Error("lab: br_netfilter is not available on this kernel");
    return;
  }
  await sysctl(worker, "net.bridge.bridge-nf-call-iptables", k.bridgeNfCallIptables);
  await sysctl(worker, "net.bridge.bridge-nf-call-ip6tables", k.bridgeNfCallIptables);
}
