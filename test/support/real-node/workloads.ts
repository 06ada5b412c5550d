/**
 * What the real-node suite installs besides netmedic: `kubectl apply -k` / `delete -k` of the
 * test overlay as a user runs them, and k0s' konnectivity-agent DaemonSet whose container runs the
 * konnectivity-agent stand-in (the real agent image cannot be had here) on the pod network, with
 * k0s' real arguments.
 */
import type { V1DaemonSet } from "@kubernetes/client-node";
import { KONNECTIVITY_AGENT } from "../e2e/standins.js";
import { run, type RunResult } from "../lab/run.js";
import { NETMEDIC_IMAGE } from "./binaries.js";

/** The test overlay: deploy/ with only the image reference and pull policy overridden. */
export const OVERLAY = "test/real-node/overlay";

/** Runs kubectl with the given kubeconfig (the machine's kubectl, as a user's). */
export function kubectl(kubeconfigPath: string, ...args: string[]): Promise<RunResult> {
  return run(["kubectl", `--kubeconfig=${kubeconfigPath}`, ...args], { timeoutMs: 60_000 });
}

/**
 * k0s' konnectivity-agent DaemonSet (kube-system, label k8s-app=konnectivity-agent), dialing the
 * konnectivity server at `serverHost`:8132 from each node's pod network.
 */
export function konnectivityAgentDaemonSet(serverHost: string): V1DaemonSet {
  const labels = { "k8s-app": "konnectivity-agent" };
  const args = ["--logtostderr=true", "--ca-cert=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", `--proxy-server-host=${serverHost}`,
    "--proxy-server-port=8132", "--service-account-token-path=/var/run/secrets/tokens/konnectivity-agent-token", "--agent-identifiers=host=$(NODE_IP)"];
  return {
    apiVersion: "apps/v1", kind: "DaemonSet",
    metadata: { name: "konnectivity-agent", namespace: "kube-system", labels },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          tolerations: [{ operator: "Exists" }],
          containers: [{
            name: "konnectivity-agent", image: NETMEDIC_IMAGE, imagePullPolicy: "Never",
            command: ["node", "-e", KONNECTIVITY_AGENT, "--"], args,
            env: [{ name: "NODE_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } }],
          }],
        },
      },
    },
  };
}
