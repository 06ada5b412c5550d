import { KubeConfig } from "@kubernetes/client-node";

/**
 * Loads the client configuration: the file at `path` when given (out-of-cluster runs and tests),
 * otherwise KUBECONFIG / ~/.kube/config / the in-cluster service account, in that order.
 * Throws with a one-line message when the file cannot be read or holds no current context.
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const config = new KubeConfig();
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
