import type { KubeConfig } from "@kubernetes/client-node";
import { ConnectionReusingKubeConfig } from "./connection-reusing-kubeconfig.js";

/**
 * Loads the client configuration: the file at `path` when given (out-of-cluster runs and tests),
 * otherwise KUBECONFIG / ~/.kube/config / the in-cluster service account, in that order.
 * API clients made from it reuse keep-alive connections (ConnectionReusingKubeConfig).
 * Throws with a one-line message when the file cannot be read or holds no current context.
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const config = new ConnectionReusingKubeConfig();
  try {
    if (path) config.loadFromFile(path);
    else config.loadFromDefault();
  } catch (error) {
    throw new Error(`cannot load kubeconfig ${path ?? "(default)"}: ${(error as Error).message}`, { cause: error });
  }
  if (!config.getCurrentCluster()) {
    throw new Error(`kubeconfig ${path ?? "(default)"} has no current cluster`);
  }
  return config;
}
