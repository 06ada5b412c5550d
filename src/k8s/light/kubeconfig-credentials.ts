/**
 * Reads kubeconfig files into RestCredentials for the agent's API client (see rest-credentials.ts
 * for why not client-node). Supported, as kubectl writes them: current-context → cluster `server`,
 * `certificate-authority(-data)`, `insecure-skip-tls-verify`, `tls-server-name`; user `token`,
 * `tokenFile`, `client-certificate(-data)` + `client-key(-data)`. Anything else that changes how
 * to connect or authenticate (exec plugins, auth-provider, username/password, impersonation,
 * proxy-url) is a one-line error naming it and what is supported, never silently ignored.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";
import { FileToken, StaticToken, type BearerToken } from "./bearer-token.js";
import { isPlainRecord } from "../../core/plain-record.js";
import type { RestCredentials, RestTls } from "./rest-credentials.js";

type Fields = Record<string, unknown>;

/** A named entry (cluster, user, context) with the directory its relative paths are relative to. */
interface Entry {
  fields: Fields;
  dir: string;
}

interface Kubeconfig {
  currentContext?: string;
  clusters: Map<string, Entry>;
  users: Map<string, Entry>;
  contexts: Map<string, Entry>;
}

const SUPPORTED_USER = "token, tokenFile, client-certificate(-data) with client-key(-data)";
const USER_KEYS = new Set(["token", "tokenFile", "token-file", "client-certificate", "client-certificate-data", "client-key", "client-key-data", "extensions"]);
const CLUSTER_KEYS = new Set(["server", "certificate-authority", "certificate-authority-data", "insecure-skip-tls-verify", "tls-server-name", "disable-compression", "extensions"]);

/**
 * Credentials of the current context of `files` (merged like client-node's KUBECONFIG handling:
 * the last file's current-context wins, the first entry of a name wins). Throws one line naming the
 * files on anything unreadable, missing or unsupported; never includes a token or key.
 */
export function kubeconfigCredentials(files: string[]): RestCredentials {
  const where = `kubeconfig ${files.join(":")}`;
  const config = mergeKubeconfigs(files.map(readKubeconfig));
  try {
    return resolveCurrentContext(config);
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
  }
}

function readKubeconfig(file: string): Kubeconfig {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message.split("\n")[0];
    throw new Error(`cannot load kubeconfig ${file}: ${reason}`, { cause: error });
  }
  const root = isPlainRecord(doc) ? doc : {};
  const dir = dirname(resolve(file));
  const current = root["current-context"];
  return {
    currentContext: typeof current === "string" && current ? current : undefined,
    clusters: namedEntries(root["clusters"], "cluster", dir),
    users: namedEntries(root["users"], "user", dir),
    contexts: namedEntries(root["contexts"], "context", dir),
  };
}

function namedEntries(list: unknown, key: string, dir: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  for (const item of Array.isArray(list) ? list : []) {
    if (!isPlainRecord(item) || typeof item["name"] !== "string") continue;
    entries.set(item["name"], { fields: isPlainRecord(item[key]) ? item[key] : {}, dir });
  }
  return entries;
}

function mergeKubeconfigs(configs: Kubeconfig[]): Kubeconfig {
  const merged: Kubeconfig = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const config of configs) {
    merged.currentContext = config.currentContext ?? merged.currentContext;
    for (const kind of ["clusters", "users", "contexts"] as const) {
      for (const [name, entry] of config[kind]) if (!merged[kind].has(name)) merged[kind].set(name, entry);
    }
  }
  return merged;
}

function resolveCurrentContext(config: Kubeconfig): RestCredentials {
  const name = config.currentContext;
  if (!name) throw new Error("has no current-context");
  const context = config.contexts.get(name);
  if (!context) throw new Error(`current-context "${name}" is not among its contexts`);
  const clusterName = stringField(context.fields, "cluster");
  const cluster = clusterName ? config.clusters.get(clusterName) : undefined;
  if (!cluster) throw new Error(`context "${name}" names no known cluster`);
  const server = stringField(cluster.fields, "server");
  if (!server) throw new Error(`cluster "${clusterName}" has no server`);
  const userName = stringField(context.fields, "user");
  const user = userName ? config.users.get(userName) : undefined;
  if (userName && !user) throw new Error(`context "${name}" names unknown user "${userName}"`);
  const auth = user ? userAuth(userName ?? "", user) : {};
  const tls: RestTls = { ...clusterTls(clusterName ?? "", cluster), ...(auth.cert ? { cert: auth.cert, key: auth.key } : {}) };
  return { server: server.replace(/\/+$/, ""), tls, ...(auth.token ? { token: auth.token } : {}), describe: `context "${name}" (${server})` };
}

function clusterTls(name: string, cluster: Entry): RestTls {
  const unsupported = usedKeys(cluster.fields).filter((key) => !CLUSTER_KEYS.has(key));
  if (unsupported.length > 0) {
    throw new Error(`cluster "${name}" uses ${unsupported.join(", ")}; the agent supports server, certificate-authority(-data), insecure-skip-tls-verify, tls-server-name`);
  }
  const ca = pem(cluster, "certificate-authority");
  const servername = stringField(cluster.fields, "tls-server-name");
  return {
    ...(ca ? { ca } : {}),
    rejectUnauthorized: cluster.fields["insecure-skip-tls-verify"] !== true,
    ...(servername ? { servername } : {}),
  };
}

function userAuth(name: string, user: Entry): { token?: BearerToken; cert?: Buffer; key?: Buffer } {
  const unsupported = usedKeys(user.fields).filter((key) => !USER_KEYS.has(key));
  if (unsupported.length > 0) throw new Error(`user "${name}" uses ${unsupported.join(", ")}; the agent supports ${SUPPORTED_USER}`);
  const cert = pem(user, "client-certificate");
  const key = pem(user, "client-key");
  if (Boolean(cert) !== Boolean(key)) throw new Error(`user "${name}" needs both client-certificate(-data) and client-key(-data)`);
  const inline = stringField(user.fields, "token");
  const file = stringField(user.fields, "tokenFile") ?? stringField(user.fields, "token-file");
  const token = inline ? new StaticToken(inline) : file ? new FileToken(resolve(user.dir, file)) : undefined;
  return { ...(token ? { token } : {}), ...(cert && key ? { cert, key } : {}) };
}

/** `<field>-data` (base64 PEM) or `<field>` (a file, relative to the kubeconfig's directory). */
function pem(entry: Entry, field: string): Buffer | undefined {
  const data = stringField(entry.fields, `${field}-data`);
  if (data) return Buffer.from(data, "base64");
  const file = stringField(entry.fields, field);
  if (!file) return undefined;
  const path = resolve(entry.dir, file);
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read ${field} ${path}: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`, { cause: error });
  }
}

/** Keys with a value (kubectl leaves some empty, e.g. `username: ""`, which mean "not used"). */
function usedKeys(fields: Fields): string[] {
  return Object.keys(fields).filter((key) => fields[key] !== null && fields[key] !== undefined && fields[key] !== "");
}

function stringField(fields: Fields, key: string): string | undefined {
  const value = fields[key];
  return typeof value === "string" && value ? value : undefined;
}
