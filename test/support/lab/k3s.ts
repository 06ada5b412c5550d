// A k3s or RKE2 agent's host files, written into the worker's scratch layers (docs/architecture.md §8.2 shapes).
import { writeLabFile } from "./mounts.js";

/** What {@link writeK3sHostRoot} writes. `server` is the URL the agent is pinned to. */
export interface K3sHostRootOptions {
  /** e.g. `https://10.213.7.1:6443` (an etcd-only server in the incident). */
  server: string;
  /** The join token (a secret: `K10<ca hash>::server:<password>`). */
  token: string;
  /** Load-balancer ServerAddresses (`host:port`); default: the server's own. */
  serverAddresses?: string[];
}

/** Paths (as the worker sees them) of the files written. */
export interface K3sHostRootPaths {
  config: string;
  serviceEnv: string;
  loadBalancer: string;
}

/** Paths of a k3s agent's configuration, service environment and load-balancer state. */
export const K3S_PATHS: K3sHostRootPaths = {
  config: "/etc/rancher/k3s/config.yaml",
  serviceEnv: "/etc/systemd/system/k3s-agent.service.env",
  loadBalancer: "/var/lib/rancher/k3s/agent/etc/k3s-agent-load-balancer.json",
};

/**
 * Writes /etc/rancher/k3s/config.yaml (server, token, comments), the k3s-agent service env file
 * (K3S_URL, K3S_TOKEN; mode 0600) and the agent load-balancer state file, as a k3s agent that joined
 * through `server` has them. Everything lands in the worker's scratch layers.
 */
export async function writeK3sFiles(workerPid: number, o: K3sHostRootOptions): Promise<K3sHostRootPaths> {
  const url = new URL(o.server);
  if (url.protocol !== "https:") throw new Error(`lab: k3s server must be https://…, got ${o.server}`);
  const addresses = o.serverAddresses ?? [url.host];
  const config = [
    "# k3s agent configuration",
    "# Joined through this server at install time; k3s reads this file at every start.",
    `server: ${o.server}`,
    `token: ${o.token}`,
    "node-label:",
    '  - "netmedic.io/lab=true"',
    "# kubelet-arg:",
    '#   - "max-pods=110"',
    "",
  ].join("\n");
  await writeLabFile(workerPid, K3S_PATHS.config, config, 0o600);
  await writeLabFile(workerPid, K3S_PATHS.serviceEnv, `K3S_TOKEN='${o.token}'\nK3S_URL='${o.server}'\n`, 0o600);
  const lb = { ServerURL: o.server, ServerAddresses: addresses, Listener: null };
  await writeLabFile(workerPid, K3S_PATHS.loadBalancer, JSON.stringify(lb, null, "  "), 0o600);
  return { ...K3S_PATHS };
}

/** Paths of an RKE2 agent joined with RKE2_URL: config (token only), env file, load-balancer state. */
export const RKE2_PATHS = {
  config: "/etc/rancher/rke2/config.yaml",
  serviceEnv: "/etc/default/rke2-agent",
  loadBalancer: "/var/lib/rancher/rke2/agent/etc/rke2-agent-load-balancer.json",
} as const;

/**
 * Writes an RKE2 agent installed with `RKE2_URL`/`RKE2_TOKEN` (install.sh keeps RKE2_* variables
 * for the service): /etc/default/rke2-agent holds both (mode 0600), config.yaml only the token and
 * a label — no `server:` — and the agent load-balancer state. Everything lands in the worker's
 * scratch layers.
 */
export async function writeRke2Files(workerPid: number, o: K3sHostRootOptions): Promise<typeof RKE2_PATHS> {
  const url = new URL(o.server);
  if (url.protocol !== "https:") throw new Error(`lab: RKE2 server must be https://…, got ${o.server}`);
  await writeLabFile(workerPid, RKE2_PATHS.config, `token: ${o.token}\nnode-label:\n  - "netmedic.io/lab=true"\n`, 0o600);
  await writeLabFile(workerPid, RKE2_PATHS.serviceEnv, `# written by install.sh\nRKE2_TOKEN="${o.token}"\nRKE2_URL="${o.server}"\n`, 0o600);
  const lb = { ServerURL: o.server, ServerAddresses: o.serverAddresses ?? [url.host], Listener: null };
  await writeLabFile(workerPid, RKE2_PATHS.loadBalancer, JSON.stringify(lb, null, "  "), 0o600);
  return RKE2_PATHS;
}
