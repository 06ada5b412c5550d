/**
 * `host:port` dial targets, parsed strictly: an IPv4 literal, a bracketed IPv6 literal or a DNS
 * name, and a port 1..65535. Anything else (spaces, schemes, paths, shell metacharacters) is
 * rejected, because targets travel from the API object into a dialer on the node.
 */
import { isIP } from "node:net";

/** A validated dial target. `host` is bare (no brackets); `text` is the canonical `host:port`. */
export interface DialTarget {
  host: string;
  port: number;
  text: string;
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const HOST_PORT = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/i;

/** Parses `host:port`; throws an Error naming the bad input (which is never a secret). */
export function parseDialTarget(value: string): DialTarget {
  const match = HOST_PORT.exec(value);
  if (!match) throw new Error(`invalid target ${JSON.stringify(value.slice(0, 100))}: want host:port`);
  const [, v6, plain, portText] = match;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid target port in ${JSON.stringify(value)}`);
  if (v6 !== undefined) {
    if (isIP(v6) !== 6) throw new Error(`invalid IPv6 address in ${JSON.stringify(value)}`);
    return { host: v6, port, text: `[${v6}]:${port}` };
  }
  const host = plain ?? "";
  if (isIP(host) !== 4 && !(DNS_NAME.test(host) && !/^[0-9.]+$/.test(host))) {
    throw new Error(`invalid target host in ${JSON.stringify(value.slice(0, 100))}`);
  }
  return { host, port, text: `${host}:${port}` };
}

/** Whether `value` is a valid `host:port` target. */
export function isDialTarget(value: string): boolean {
  try {
    parseDialTarget(value);
    return true;
  } catch {
    return false;
  }
}
