/**
 * Where the agent's API client connects and how it authenticates, without @kubernetes/client-node.
 *
 * Why not client-node's KubeConfig: importing client-node loads its generated API models (~80 MB
 * RSS, even when deep-importing dist/config.js), and the agent runs on every node of the cluster
 * for two API calls. The controller and the CLI keep client-node.
 *
 * The resolution order is loadKubeConfig's (client-node's loadFromDefault): `--kubeconfig FILE`,
 * else $KUBECONFIG, else ~/.kube/config, else the in-cluster service account. Only what the agent
 * needs is supported; anything else is a one-line error saying what is (see kubeconfig-credentials.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { FileToken, type BearerToken } from "./bearer-token.js";

/** TLS settings of the connection to the apiserver. */
export interface RestTls {
  /** PEM CA bundle; Node's default roots when absent. */
  ca?: string | Buffer;
  /** PEM client certificate and key (both or neither). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** false only for insecure-skip-tls-verify. */
  rejectUnauthorized: boolean;
  /** tls-server-name: the name the serving certificate is checked against. */
  servername?: string;
}

/** A resolved API endpoint with its credentials. `describe` is safe to log (never a secret). */
export interface RestCredentials {
  /** The apiserver's base URL, without a trailing slash. */
  server: string;
  tls: RestTls;
  token?: BearerToken;
  describe: string;
}

/** The in-cluster service account directory (projected by the kubelet). */
const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Where the default resolution looks; parameters so tests do not depend on the machine. */
export interface CredentialSources {
  env: NodeJS.ProcessEnv;
  home: string;
  serviceAccountDir: string;
}

const DEFAULT_SOURCES = (): CredentialSources => ({ env: process.env, home: process.env["HOME"] ?? homedir(), serviceAccountDir: SERVICE_ACCOUNT_DIR });

/**
 * Credentials of the in-cluster service account: KUBERNETES_SERVICE_HOST/PORT, the CA and the
 * (rotating) token file. Throws a one-line error when not running in a pod.
 */
function inClusterCredentials(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): RestCredentials {
  const host = env["KUBERNETES_SERVICE_HOST"];
  const port = env["KUBERNETES_SERVICE_PORT"];
  if (!host || !port) throw new Error("not in a cluster: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set");
  let ca: Buffer;
  try {
    ca = readFileSync(join(dir, "ca.crt"));
  } catch (error) {
    throw new Error(`cannot read the service account CA ${join(dir, "ca.crt")}: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`, { cause: error });
  }
  return {
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    tls: { ca, rejectUnauthorized: true },
    token: new FileToken(join(dir, "token")),
    describe: "in-cluster service account",
  };
}

/**
 * Resolves credentials like loadKubeConfig: the kubeconfig at `path` when given, else $KUBECONFIG
 * (files separated by the path delimiter), else ~/.kube/config when it exists, else the in-cluster
 * service account when its token exists. Rejects with a one-line message otherwise. The kubeconfig
 * parser (and `yaml`) is imported only when a kubeconfig is used: in a pod it is never needed.
 */
export async function loadRestCredentials(path?: string, sources: CredentialSources = DEFAULT_SOURCES()): Promise<RestCredentials> {
  const files = kubeconfigFiles(path, sources);
  if (files.length > 0) {
    const { kubeconfigCredentials } = await import("./kubeconfig-credentials.js");
    return kubeconfigCredentials(files);
  }
  if (existsSync(join(sources.serviceAccountDir, "token"))) return inClusterCredentials(sources.env, sources.serviceAccountDir);
  throw new Error("no kubeconfig: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config or run in a pod with a service account token");
}

function kubeconfigFiles(path: string | undefined, sources: CredentialSources): string[] {
  if (path) return [path];
  const fromEnv = (sources.env["KUBECONFIG"] ?? "").split(delimiter).filter((file) => file);
  if (fromEnv.length > 0) return fromEnv;
  const home = join(sources.home, ".kube", "config");
  return existsSync(home) ? [home] : [];
}
