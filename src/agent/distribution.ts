/**
 * Which Kubernetes distribution runs on the host, and where its agent keeps its server setting,
 * decided from which well-known host paths exist (one `stat` call, nothing is read).
 */
import type { HostFacts } from "../api/index.js";
import type { HostExecutor } from "./host-executor.js";

/** A detected distribution. */
export type Distribution = NonNullable<HostFacts["distribution"]>;

/** Marker paths per distribution, checked in this order (RKE2 before k3s: RKE2 embeds k3s code, not its paths). */
const DISTRIBUTION_MARKERS: ReadonlyArray<readonly [Distribution, readonly string[]]> = [
  ["rke2", ["/etc/rancher/rke2", "/var/lib/rancher/rke2"]],
  ["k3s", ["/etc/rancher/k3s", "/var/lib/rancher/k3s", "/usr/local/bin/k3s"]],
  ["k0s", ["/var/lib/k0s", "/etc/k0s", "/usr/local/bin/k0s"]],
  ["kubeadm", ["/etc/kubernetes/kubelet.conf", "/etc/kubernetes/admin.conf"]],
];

/** Where a k3s/RKE2 node agent keeps its configuration. */
export interface AgentLayout {
  distribution: "k3s" | "rke2";
  config: string;
  /** systemd env files that may hold `<PREFIX>_URL=` (and the token, which is never read). */
  envFiles: string[];
  envKey: "K3S_URL" | "RKE2_URL";
  loadBalancer: string;
  /** Candidate units, agent first; the first whose unit file exists wins. */
  units: ReadonlyArray<readonly [string, readonly string[]]>;
  /** The port a server URL must use: k3s serves agents on 6443, RKE2's supervisor is 9345. */
  port: number;
}

/** Where an RKE2 unit's file lives: the tarball install, the RPM, or an admin's own. */
const rke2UnitFiles = (unit: string) => [`/usr/local/lib/systemd/system/${unit}.service`, `/usr/lib/systemd/system/${unit}.service`, `/etc/systemd/system/${unit}.service`];
/** The environment files an RKE2 unit reads, in its own order. */
const rke2EnvFiles = (unit: string) => [`/etc/default/${unit}`, `/etc/sysconfig/${unit}`, `/usr/local/lib/systemd/system/${unit}.env`];

/** The k3s and RKE2 layouts (docs/architecture.md §8.2). */
export const AGENT_LAYOUTS: Record<"k3s" | "rke2", AgentLayout> = {
  k3s: {
    distribution: "k3s",
    config: "/etc/rancher/k3s/config.yaml",
    envFiles: ["/etc/systemd/system/k3s-agent.service.env", "/etc/systemd/system/k3s.service.env"],
    envKey: "K3S_URL",
    loadBalancer: "/var/lib/rancher/k3s/agent/etc/k3s-agent-load-balancer.json",
    units: [["k3s-agent", ["/etc/systemd/system/k3s-agent.service", "/etc/systemd/system/k3s-agent.service.env"]], ["k3s", ["/etc/systemd/system/k3s.service"]]],
    port: 6443,
  },
  rke2: {
    distribution: "rke2",
    config: "/etc/rancher/rke2/config.yaml",
    // The EnvironmentFile= lines of RKE2's units (bundle/lib/systemd/system/rke2-*.service): a node
    // installed with RKE2_URL (install.sh keeps RKE2_* variables for the service) has its server
    // there, not in config.yaml. A re-point rewrites every file that sets one.
    envFiles: [...rke2EnvFiles("rke2-agent"), ...rke2EnvFiles("rke2-server")],
    envKey: "RKE2_URL",
    loadBalancer: "/var/lib/rancher/rke2/agent/etc/rke2-agent-load-balancer.json",
    units: [
      ["rke2-agent", [...rke2UnitFiles("rke2-agent"), ...rke2EnvFiles("rke2-agent")]],
      ["rke2-server", [...rke2UnitFiles("rke2-server"), ...rke2EnvFiles("rke2-server")]],
    ],
    port: 9345,
  },
};

/** The distribution whose markers appear first in DISTRIBUTION_MARKERS order. */
export function distributionFromPaths(existing: ReadonlySet<string>): Distribution {
  return DISTRIBUTION_MARKERS.find(([, paths]) => paths.some((p) => existing.has(p)))?.[0] ?? "unknown";
}

/** The unit of a layout given the existing paths (defaults to the agent unit). */
export function unitFromPaths(layout: AgentLayout, existing: ReadonlySet<string>): string {
  return layout.units.find(([, files]) => files.some((f) => existing.has(f)))?.[0] ?? layout.units[0]?.[0] ?? "";
}

/** Which of `paths` exist on the host (`stat` prints the existing ones; exit 1 when some are missing). */
export async function existingHostPaths(host: HostExecutor, paths: readonly string[]): Promise<Set<string>> {
  const result = await host.run(["stat", "--format=%n", "--", ...paths]);
  if (result.code !== 0 && result.code !== 1) throw new Error(`stat exited ${result.code}`);
  return new Set(result.stdout.split("\n").filter((p) => paths.includes(p)));
}

/** All paths detection looks at. */
export function detectionPaths(): string[] {
  const layouts = Object.values(AGENT_LAYOUTS).flatMap((l) => l.units.flatMap(([, files]) => files));
  return [...new Set([...DISTRIBUTION_MARKERS.flatMap(([, paths]) => paths), ...layouts])];
}
