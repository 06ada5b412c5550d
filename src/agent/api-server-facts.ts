/**
 * The API server URL(s) a k3s/RKE2 node agent is configured with, and its load balancer's
 * servers. The config and env files also hold the join token: they are read through a host-side
 * `grep` that returns only the server lines, so the token never enters this process.
 */
import type { APIServerFacts } from "../api/index.js";
import type { HostExecutor } from "./host-executor.js";
import { AGENT_LAYOUTS, unitFromPaths, type AgentLayout } from "./distribution.js";
import { configServers, envServers, parseLoadBalancerState } from "./server-config.js";

/** Host-side filters: only these lines ever leave the host files. */
const CONFIG_SERVER_GREP = "^server[[:space:]]*:";
/** The env-file filter for `KEY=` lines (K3S_URL, never K3S_TOKEN). */
function envServerGrep(key: string): string {
  return `^[[:space:]]*(export[[:space:]]+)?${key}=`;
}

/** A URL safe to report: scheme, host and port only (userinfo could carry a password). */
const PLAIN_SERVER_URL = /^https?:\/\/[A-Za-z0-9.:[\]-]{1,255}\/?$/;

/** APIServerFacts plus the problems met while reading (never file content). */
export interface APIServerReading {
  apiServer: APIServerFacts;
  errors: string[];
}

/** Lines of `path` matching `pattern` (grep -E); [] when the file is absent or has none. */
async function grepLines(host: HostExecutor, pattern: string, path: string, errors: string[]): Promise<string> {
  const result = await host.run(["grep", "-E", "-e", pattern, "--", path]);
  if (result.code === 0) return result.stdout;
  if (result.code === 2 && !/No such file or directory/.test(result.stderr)) {
    errors.push(`cannot read ${path}: ${result.stderr.trim().split("\n")[0]?.replace(/^grep: /, "").slice(0, 200) ?? "error"}`);
  }
  return "";
}

async function readLoadBalancer(host: HostExecutor, path: string, errors: string[]): Promise<string[] | undefined> {
  const result = await host.run(["cat", "--", path]);
  if (result.code !== 0) {
    if (!/No such file or directory/.test(result.stderr)) errors.push(`cannot read ${path}: exit ${result.code}`);
    return undefined;
  }
  try {
    return parseLoadBalancerState(result.stdout).servers;
  } catch (error) {
    errors.push(`${path}: ${(error as Error).message}`);
    return undefined;
  }
}

/** Reads the server setting of the given layout. `existing` are the host paths found by detection. */
export async function readAPIServerFacts(host: HostExecutor, layout: AgentLayout, existing: ReadonlySet<string>): Promise<APIServerReading> {
  const errors: string[] = [];
  const configured: string[] = [];
  let source: string | undefined;
  const add = (urls: string[], path: string): void => {
    const plain = urls.filter((url) => PLAIN_SERVER_URL.test(url));
    if (plain.length < urls.length) errors.push(`${path}: a server URL is not a plain https://host:port URL; not reported`);
    if (plain.length > 0 && source === undefined) source = path;
    for (const url of plain) if (!configured.includes(url)) configured.push(url);
  };
  add(configServers(await grepLines(host, CONFIG_SERVER_GREP, layout.config, errors)), layout.config);
  for (const file of layout.envFiles) add(envServers(await grepLines(host, envServerGrep(layout.envKey), file, errors), layout.envKey), file);
  const loadBalancer = await readLoadBalancer(host, layout.loadBalancer, errors);
  const apiServer: APIServerFacts = {
    ...(configured.length ? { configured } : {}),
    ...(source ? { source } : {}),
    ...(loadBalancer ? { loadBalancer } : {}),
    service: unitFromPaths(layout, existing),
  };
  return { apiServer, errors };
}

/** The layout for a distribution, when it has a re-pointable agent. */
export function layoutOf(distribution: string | undefined): AgentLayout | undefined {
  return distribution === "k3s" || distribution === "rke2" ? AGENT_LAYOUTS[distribution] : undefined;
}
