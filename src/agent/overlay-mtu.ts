/**
 * The MTU of the host's overlay links against the link each encapsulates onto, from
 * `ip -d -o link show` (one line per link with its kind's details): VXLAN (flannel.1, vxlan.calico,
 * cilium_vxlan), Geneve, WireGuard (flannel-wg, wireguard.cali, wg*) and IP-in-IP (tunl0) links by
 * kind, not by name. The underlay is the VXLAN link's own `dev` when it names one (flannel's
 * --iface), else the uplink (the default route's device); when neither is known the underlay is
 * left out and the check says Unknown. Only reads; the link list failing throws.
 */
import { MAX_OVERLAY_LINKS, type OverlayLinkMTU, type OverlayMTUFacts } from "../api/index.js";
import { mustRun, type HostExecutor } from "./host-executor.js";

/** Link kinds that encapsulate, as `ip -d` names them. */
export const OVERLAY_KINDS = ["vxlan", "geneve", "wireguard", "ipip"] as const;

/** One link of `ip -d -o link show`. */
export interface DetailedLink {
  name: string;
  mtu: number;
  kind?: (typeof OVERLAY_KINDS)[number];
  /** The `dev` a VXLAN link is bound to. */
  dev?: string;
}

/** Parses `ip -d -o link show` (`4: flannel.1: <…> mtu 1450 … \    vxlan id 1 local … dev eth0 …`). */
export function parseDetailedLinks(text: string): DetailedLink[] {
  return text.split("\n").flatMap((line) => {
    const name = /^\d+:\s+([^:@\s]+)(?:@[^:\s]+)?:\s/.exec(line)?.[1];
    const mtu = Number(/\smtu (\d+)\s/.exec(line)?.[1]);
    if (!name || !Number.isInteger(mtu)) return [];
    const detail = /\\\s+(vxlan|geneve|wireguard|ipip)\s(.*)$/.exec(line);
    const kind = detail?.[1] as DetailedLink["kind"];
    const dev = kind === "vxlan" ? /(?:^|\s)dev (\S+)/.exec(detail?.[2] ?? "")?.[1] : undefined;
    return [{ name, mtu, ...(kind ? { kind } : {}), ...(dev ? { dev } : {}) }];
  });
}

/** The overlay links with the link each encapsulates onto (its `dev`, else `uplink`) and that link's MTU. */
export function overlayMTUs(links: DetailedLink[], uplink: string | undefined): OverlayMTUFacts {
  const mtuOf = new Map(links.map((l) => [l.name, l.mtu]));
  const overlays: OverlayLinkMTU[] = links.flatMap((link) => {
    if (!link.kind) return [];
    const underlay = link.dev ?? uplink;
    const underlayMTU = underlay === undefined ? undefined : mtuOf.get(underlay);
    return [{ name: link.name, kind: link.kind, mtu: link.mtu, ...(underlay && underlayMTU ? { underlay, underlayMTU } : {}) }];
  });
  return { links: overlays.slice(0, MAX_OVERLAY_LINKS) };
}

/** Reads the overlay links' MTUs; `uplink` is the default route's device (pod-network.ts). */
export async function readOverlayMTU(host: HostExecutor, uplink: string | undefined): Promise<OverlayMTUFacts> {
  return overlayMTUs(parseDetailedLinks(await mustRun(host, ["ip", "-d", "-o", "link", "show"])), uplink);
}
