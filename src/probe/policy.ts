/**
 * Who may ask the probe pod, and what it may dial. The probe is not an open proxy: it answers only
 * its own node's agent (source address in an allowlist: the pod's default gateway, i.e. the bridge
 * address the host uses towards its pods, plus `--allow` CIDRs such as the node IP), dials only
 * allowlisted ports or exact targets, and admits a bounded rate and concurrency of dials.
 */
import { BlockList, isIP } from "node:net";
import type { DialTarget } from "../dial/target.js";
import { TokenBucket } from "../core/index.js";

/** Ports the probe dials by default: konnectivity, apiserver, RKE2 supervisor, HTTPS. */
export const DEFAULT_TARGET_PORTS: readonly number[] = [8132, 6443, 9345, 443];

/** Parses `a.b.c.d/n` or `v6/n` (a bare address means a single host); throws on anything else. */
export function parseCIDR(text: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } {
  const [address = "", prefixText, extra] = text.trim().split("/");
  const version = isIP(address);
  if (version === 0 || extra !== undefined) throw new Error(`invalid CIDR ${JSON.stringify(text.slice(0, 60))}`);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^[0-9]{1,3}$/.test(prefixText ?? String(max)) || prefix > max) throw new Error(`invalid CIDR prefix in ${JSON.stringify(text)}`);
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** Strips the IPv4-mapped prefix a dual-stack socket reports (`::ffff:10.0.0.1`). */
export function normalizeSourceAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

/** A source-address allowlist built from CIDRs. */
export class SourceAllowlist {
  private readonly list = new BlockList();
  readonly cidrs: string[] = [];

  constructor(cidrs: readonly string[]) {
    for (const text of cidrs) {
      const { address, prefix, family } = parseCIDR(text);
      this.list.addSubnet(address, prefix, family);
      this.cidrs.push(`${address}/${prefix}`);
    }
  }

  /** Whether a connection from `address` may use the probe. */
  allows(address: string | undefined): boolean {
    if (!address) return false;
    const source = normalizeSourceAddress(address);
    const family = isIP(source);
    if (family === 0) return false;
    return this.list.check(source, family === 4 ? "ipv4" : "ipv6");
  }
}

/** The default IPv4 gateway in a /proc/net/route table (hex, little-endian), or undefined. */
export function defaultGatewayFromRouteTable(table: string): string | undefined {
  for (const line of table.split("\n").slice(1)) {
    const [, destination, gateway] = line.trim().split(/\s+/);
    if (destination !== "00000000" || !gateway || !/^[0-9A-F]{8}$/i.test(gateway) || gateway === "00000000") continue;
    const bytes = [6, 4, 2, 0].map((i) => parseInt(gateway.slice(i, i + 2), 16));
    return bytes.join(".");
  }
  return undefined;
}

/** Which targets the probe dials: any host on an allowed port, or an exact allowed host:port. */
export class TargetPolicy {
  constructor(private readonly ports: ReadonlySet<number>, private readonly exact: ReadonlySet<string>) {}

  allows(target: DialTarget): boolean {
    return this.ports.has(target.port) || this.exact.has(target.text);
  }
}

/** The probe's request limit: `ratePerSecond` refill up to `burst`; the clock is injectable for tests. */
export class RateLimiter {
  private readonly bucket: TokenBucket;

  constructor(ratePerSecond: number, burst: number, private readonly now: () => number = Date.now) {
    this.bucket = new TokenBucket(ratePerSecond, burst, now());
  }

  /** Takes one token; false when the bucket is empty. */
  tryTake(): boolean {
    return this.bucket.take(this.now()) === 0;
  }
}
