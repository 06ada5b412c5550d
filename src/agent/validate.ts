/**
 * Strict validation of every parameter that reaches a host command. Orders come from the API
 * object, so each value is checked on the node before use: a value that would start an option
 * (`--zone=x --remove…`) or carry shell syntax (`cni0; rm -rf /`) never matches.
 */
import { isIP } from "node:net";

/** A parameter that failed validation; the message names the parameter and quotes a prefix. */
export class InvalidParameterError extends Error {}

function fail(name: string, value: unknown): never {
  throw new InvalidParameterError(`invalid ${name} ${JSON.stringify(String(value).slice(0, 60))}`);
}

// Linux interface names: at most 15 bytes, no '/', no whitespace; we also refuse a leading '-'.
const INTERFACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
// firewalld zone and service names: letters, digits, '_' and '-' (firewalld's own rule), bounded.
const FIREWALLD_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$/;
// Dots inside an interface name appear as '/' in a sysctl key (net.ipv4.conf.flannel/1.forwarding).
const SYSCTL_NAME = /^[a-z0-9_]+(?:\.[A-Za-z0-9_/-]+){1,6}$/;
const SYSTEMD_UNIT = /^(k3s|k3s-agent|rke2-server|rke2-agent)$/;

/** A validator: the value as a string when it matches `pattern`, else an error naming `what`. */
function matching(pattern: RegExp, what: string): (value: unknown) => string {
  return (value) => {
    if (typeof value !== "string" || !pattern.test(value)) fail(what, value);
    return value;
  };
}

/** A network interface name (e.g. cni0, kube-bridge, flannel.1). */
export function validInterface(value: unknown): string {
  if (typeof value !== "string" || !INTERFACE.test(value) || value === "." || value === "..") fail("interface name", value);
  return value;
}

/** A firewalld zone name. */
export const validZone = matching(FIREWALLD_NAME, "firewalld zone");

/** A firewalld service name. */
export const validService = matching(FIREWALLD_NAME, "firewalld service");

/** An IPv4/IPv6 CIDR written `address/prefix` (prefix required, in range for the family); returned unchanged (host bits are not cleared). */
export function validCIDR(value: unknown): string {
  if (typeof value !== "string") fail("CIDR", value);
  const match = /^([0-9a-fA-F:.]+)\/([0-9]{1,3})$/.exec(value);
  const family = match ? isIP(match[1] ?? "") : 0;
  const prefix = Number(match?.[2]);
  if (!match || family === 0 || prefix > (family === 4 ? 32 : 128)) fail("CIDR", value);
  return value;
}

/** An IPv4 CIDR (ufw's user.rules holds the IPv4 rules; IPv6 ones live in user6.rules). */
export function validIPv4CIDR(value: unknown): string {
  const cidr = validCIDR(value);
  if (isIP(cidr.split("/")[0] ?? "") !== 4) fail("IPv4 CIDR", value);
  return cidr;
}

/** A node port as ufw takes it: `port/tcp` or `port/udp`, port 1–65535. */
export function validPortProtocol(value: unknown): string {
  const match = typeof value === "string" ? /^([0-9]{1,5})\/(tcp|udp)$/.exec(value) : null;
  const port = Number(match?.[1]);
  if (!match || port < 1 || port > 65535) fail("port/protocol", value);
  return value as string;
}

/** A sysctl key (dotted, e.g. net.ipv4.conf.cni0.forwarding). */
export const validSysctlName = matching(SYSCTL_NAME, "sysctl name");

/** One of the k3s/RKE2 systemd units the agent may restart. */
export const validUnit = matching(SYSTEMD_UNIT, "systemd unit");

/** An absolute host path without `..`, spaces or shell/option characters. */
export function validHostPath(value: unknown): string {
  if (typeof value !== "string" || !/^\/[A-Za-z0-9_./@+-]{1,255}$/.test(value) || value.split("/").includes("..")) fail("host path", value);
  return value;
}

/**
 * An API server URL `https://<IP>:<port>` (IPv6 bracketed), nothing else: no names, user info,
 * path, query or fragment. Returns the canonical form and the bare host.
 */
export function validServerURL(value: unknown, port: number): { url: string; host: string } {
  if (typeof value !== "string") fail("server URL", value);
  const match = /^https:\/\/(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2] ?? "";
  const family = isIP(host);
  if (!match || family === 0 || (match[1] !== undefined) !== (family === 6)) fail("server URL", value);
  if (Number(match[3]) !== port) throw new InvalidParameterError(`server URL ${JSON.stringify(value)} must use port ${port}`);
  return { url: value, host };
}
