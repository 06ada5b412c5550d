/**
 * The resolv.conf the node's kubelet hands to pods with dnsPolicy Default — CoreDNS among them,
 * which forwards to its nameservers — and those nameservers. Where the kubelet's setting lives:
 * kubeadm's /var/lib/kubelet/config.yaml and k0s' /var/lib/k0s/kubelet-config.yaml (`resolvConf:`),
 * k3s/RKE2's config.yaml (`resolv-conf:` or a `resolv-conf=` kubelet-arg). Only those lines are
 * read (a host-side grep: the k3s/RKE2 file also holds the join token). Unset, the kubelet uses
 * /etc/resolv.conf, except on k3s/RKE2, which pick the first of /etc/resolv.conf and
 * /run/systemd/resolve/resolv.conf without a loopback nameserver, else write their own
 * (docs.k3s.io, agent --resolv-conf). A file that cannot be read throws: unknown, never healthy.
 */
import type { HostFacts, KubeletDNSFacts } from "../api/index.js";
import type { HostExecutor } from "./host-executor.js";
import { readHostFile } from "./host-files.js";
import { loopbackAddress } from "../core/checks-kubelet-dns.js";

const KUBELET_DEFAULT = "/etc/resolv.conf";
const SYSTEMD_RESOLVED_UPSTREAM = "/run/systemd/resolve/resolv.conf";

/** Where each distribution keeps the kubelet's resolv.conf setting, and the key's pattern there. */
const SETTING: Partial<Record<NonNullable<HostFacts["distribution"]>, { file: string; pattern: RegExp }>> = {
  kubeadm: { file: "/var/lib/kubelet/config.yaml", pattern: /^resolvConf:\s*["']?([^"'\s#]*)/ },
  k0s: { file: "/var/lib/k0s/kubelet-config.yaml", pattern: /^resolvConf:\s*["']?([^"'\s#]*)/ },
  k3s: { file: "/etc/rancher/k3s/config.yaml", pattern: /^(?:resolv-conf:\s*|.*["'\s-]resolv-conf=)["']?([^"'\s#,\]]*)/ },
  rke2: { file: "/etc/rancher/rke2/config.yaml", pattern: /^(?:resolv-conf:\s*|.*["'\s-]resolv-conf=)["']?([^"'\s#,\]]*)/ },
};

/** The file k3s/RKE2 write when neither system file will do. */
const OWN_RESOLV_CONF = { k3s: "/var/lib/rancher/k3s/agent/etc/resolv.conf", rke2: "/var/lib/rancher/rke2/agent/etc/resolv.conf" } as const;

/** The `nameserver` addresses of a resolv.conf text. */
export function parseNameservers(text: string): string[] {
  return text.split("\n").flatMap((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1] ?? []);
}

/** The configured path from the setting's lines; "" means the kubelet was told to use none; undefined: not set. */
export function configuredResolvConf(lines: string, pattern: RegExp): string | undefined {
  for (const line of lines.split("\n")) {
    const match = pattern.exec(line);
    if (match) return match[1] ?? "";
  }
  return undefined;
}

/** The setting's lines of a kubelet/distribution config (undefined when the file does not exist). */
async function settingLines(host: HostExecutor, file: string): Promise<string | undefined> {
  const result = await host.run(["grep", "-E", "resolv-?[cC]onf", "--", file]);
  if (result.code === 0 || result.code === 1) return result.stdout;
  if (/No such file or directory/.test(result.stderr)) return undefined;
  throw new Error(`grep ${file} exited ${result.code}: ${result.stderr.trim().slice(0, 200)}`);
}

/** A resolv.conf's nameservers; throws when it cannot be read. */
async function nameserversOf(host: HostExecutor, path: string): Promise<string[]> {
  const text = await readHostFile(host, path);
  if (text === undefined) throw new Error(`${path} (the kubelet's resolv.conf) does not exist`);
  return parseNameservers(text);
}

/** k3s/RKE2's own choice when resolv-conf is unset. */
async function distributionDefault(host: HostExecutor, distribution: "k3s" | "rke2"): Promise<KubeletDNSFacts> {
  for (const path of [KUBELET_DEFAULT, SYSTEMD_RESOLVED_UPSTREAM]) {
    const text = await readHostFile(host, path);
    const nameservers = text === undefined ? [] : parseNameservers(text);
    if (nameservers.length && !nameservers.some(loopbackAddress)) return { resolvConf: path, source: `${distribution} default`, nameservers };
  }
  const own = OWN_RESOLV_CONF[distribution];
  return { resolvConf: own, source: `${distribution} default`, nameservers: await nameserversOf(host, own) };
}

/** Reads which resolv.conf the kubelet uses and its nameservers. */
export async function readKubeletDNS(host: HostExecutor, distribution: HostFacts["distribution"]): Promise<KubeletDNSFacts> {
  const setting = distribution ? SETTING[distribution] : undefined;
  const lines = setting ? await settingLines(host, setting.file) : undefined;
  const configured = setting && lines !== undefined ? configuredResolvConf(lines, setting.pattern) : undefined;
  if (configured === "") return { resolvConf: "", source: setting?.file ?? "", nameservers: [] };
  if (configured !== undefined && setting) return { resolvConf: configured, source: setting.file, nameservers: await nameserversOf(host, configured) };
  if (distribution === "k3s" || distribution === "rke2") return distributionDefault(host, distribution);
  return { resolvConf: KUBELET_DEFAULT, source: "kubelet default", nameservers: await nameserversOf(host, KUBELET_DEFAULT) };
}
