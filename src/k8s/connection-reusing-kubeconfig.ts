/**
 * client-node 1.4.0 gives every API request a brand-new `https.Agent` (KubeConfig.createAgent in
 * applySecurityAuthentication; upstream kubernetes-client/javascript#2893), so no connection is
 * ever reused: each request pays a TCP + TLS handshake and builds a new TLS SecureContext from the
 * CA, certificate and key — at fleet scale a large share of the controller's CPU (figures in
 * bench/RESULTS.md, "Scale"), and the apiserver paid a handshake per request too.
 *
 * This KubeConfig lets client-node build its agent as upstream does (so credentials, CA files and
 * proxies keep their upstream behaviour, including re-reading files), then swaps a plain
 * `https.Agent` for one keep-alive agent with the same TLS options. The pooled agent is replaced as
 * soon as those options change (a rotated client certificate or CA); the old agent's idle sockets
 * are closed then, and requests in flight on it finish undisturbed. Bearer tokens travel in headers, per request, so a rotated token needs no new
 * connection. Proxy agents (a cluster `proxy-url`) are left exactly as client-node made them.
 */
import https from "node:https";
import { KubeConfig, type RequestContext } from "@kubernetes/client-node";

/** The agent options that decide which TLS connection a request may use. */
const TLS_OPTION_KEYS = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername", "ciphers", "crl"] as const;

type TlsOptions = Partial<Record<(typeof TLS_OPTION_KEYS)[number], unknown>>;

function sameOption(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameOption(item, b[i]));
  return a === b;
}

function closeIdleSockets(agent: https.Agent): void {
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

/** True when two agents' TLS options would produce interchangeable connections. */
export function sameTlsOptions(a: TlsOptions, b: TlsOptions): boolean {
  return TLS_OPTION_KEYS.every((key) => sameOption(a[key], b[key]));
}

/** A KubeConfig whose generated API clients share keep-alive connections (see the file comment). */
export class ConnectionReusingKubeConfig extends KubeConfig {
  private pooled: https.Agent | undefined;
  private pooledOptions: TlsOptions = {};

  /** Applies client-node's authentication, then routes a direct HTTPS request through the shared keep-alive agent. */
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getAgent();
    // Only a plain https.Agent: proxy agents subclass it and must keep their own connection logic.
    if (!fresh || Object.getPrototypeOf(fresh) !== https.Agent.prototype) return;
    context.setAgent(this.agentFor((fresh as https.Agent & { options: TlsOptions }).options));
  }

  /** Closes every connection of the shared agent, in flight or idle (for a process that is stopping). */
  closeConnections(): void {
    this.pooled?.destroy();
    this.pooled = undefined;
  }

  private agentFor(options: TlsOptions): https.Agent {
    if (this.pooled && sameTlsOptions(this.pooledOptions, options)) return this.pooled;
    if (this.pooled) closeIdleSockets(this.pooled);
    const tls = Object.fromEntries(TLS_OPTION_KEYS.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]));
    this.pooled = new https.Agent({ ...tls, keepAlive: true, scheduling: "lifo" });
    this.pooledOptions = options;
    return this.pooled;
  }
}
