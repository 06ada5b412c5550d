/**
 * Starts the node-identity webhook in a controller replica: makes its key and certificate, serves
 * HTTPS, and keeps its certificate in the ValidatingWebhookConfiguration's caBundle (at start, then
 * every few minutes, which also repairs a caBundle that a re-apply emptied). Every replica serves,
 * leader or not, so the webhook Service has an endpoint whenever any replica runs.
 *
 * Configured by the Deployment's environment rather than flags: NETMEDIC_WEBHOOK_LISTEN
 * ("[HOST]:PORT"; absent = no webhook, as in out-of-cluster runs), POD_NAME (the certificate's CN),
 * NETMEDIC_WEBHOOK_SERVICE (default netmedic-webhook) and NETMEDIC_AGENT_SERVICE_ACCOUNT
 * (default netmedic-agent).
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";
import { API_GROUP, API_VERSION, NETWORK_HEALTH_PLURAL } from "../../api/index.js";
import { publishCaBundle } from "./ca-bundle.js";
import { checkGuard, type GuardState } from "./guard-check.js";
import { apiPodReader, PodNodes } from "./pod-nodes.js";
import { selfSignedCert } from "./serving-cert.js";
import { startWebhookServer, type WebhookServer } from "./webhook-server.js";

const REPUBLISH_MS = 5 * 60_000;
const GUARD_CHECK_MS = 60_000;
const CONTROLLER_SELECTOR = "app.kubernetes.io/name=netmedic,app.kubernetes.io/component=controller";

/** What the webhook needs from the controller. */
export interface NodeIdentityOptions {
  kubeConfig: KubeConfig;
  /** The namespace netmedic runs in (the agents' and the controller's Pods). */
  namespace: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

/** "[HOST]:PORT" → listen address; undefined when unset. Throws on anything else. */
function parseWebhookListen(value: string | undefined): { host?: string; port: number } | undefined {
  if (!value) return undefined;
  const match = /^(.*):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new Error(`NETMEDIC_WEBHOOK_LISTEN: expected [HOST]:PORT such as :9443 (got "${value}")`);
  return { host: match[1] || undefined, port };
}

/** A running webhook; exportTo adds netmedic_node_identity_guarded to the controller's registry. */
export interface NodeIdentityWebhook extends WebhookServer {
  exportTo: (registry: Registry) => void;
}

/** Starts the webhook when NETMEDIC_WEBHOOK_LISTEN is set; undefined otherwise. */
export async function startNodeIdentityWebhook(options: NodeIdentityOptions): Promise<NodeIdentityWebhook | undefined> {
  const env = options.env ?? process.env;
  const listen = parseWebhookListen(env.NETMEDIC_WEBHOOK_LISTEN);
  if (!listen) return undefined;
  const podName = env.POD_NAME || "netmedic-controller";
  const service = env.NETMEDIC_WEBHOOK_SERVICE || "netmedic-webhook";
  const host = `${service}.${options.namespace}.svc`;
  // Backdated a little: an apiserver whose clock runs behind still accepts it.
  const cert = selfSignedCert({ commonName: podName, dnsNames: [host, `${host}.cluster.local`], notBefore: new Date(Date.now() - 5 * 60_000), validDays: 825 });
  const agent = { namespace: options.namespace, name: env.NETMEDIC_AGENT_SERVICE_ACCOUNT || "netmedic-agent" };
  const server = await startWebhookServer({ listen, cert, agent, pods: new PodNodes(apiPodReader(options.kubeConfig)), logger: options.logger });
  const publish = (): void => {
    publishCaBundle({ kubeConfig: options.kubeConfig, own: { name: podName, certPem: cert.certPem }, live: () => controllerPods(options.kubeConfig, options.namespace, podName) })
      .then((wrote) => wrote && options.logger.info({ pod: podName }, "webhook caBundle published"))
      .catch((error: unknown) => options.logger.warn({ err: error }, "webhook caBundle not published"));
  };
  publish();
  const timer = setInterval(publish, REPUBLISH_MS);
  timer.unref();
  const guard = watchGuard(options);
  options.logger.info({ port: server.port, host }, "node identity webhook serving");
  return { port: server.port, exportTo: guard.exportTo, close: async () => { clearInterval(timer); guard.stop(); await server.close(); } };
}

/** Checks every minute that the apiserver reaches the webhook (guard-check.ts); warns when it does not. */
function watchGuard(options: NodeIdentityOptions): { exportTo: (registry: Registry) => void; stop: () => void } {
  let state: GuardState;
  const check = async (): Promise<void> => {
    const list = await options.kubeConfig.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: NETWORK_HEALTH_PLURAL, limit: 1 });
    const name = (list as { items?: Array<{ metadata?: { name?: string } }> }).items?.[0]?.metadata?.name;
    state = name ? await checkGuard(options.kubeConfig, name) : undefined;
    if (state === false) options.logger.warn("node identity webhook unreachable from the apiserver: agents' writes are admitted unchecked (failurePolicy Ignore)");
  };
  const run = (): void => void check().catch(() => (state = undefined));
  // The first check after the caBundle had time to reach the apiserver, then every minute.
  const first = setTimeout(run, 15_000);
  const timer = setInterval(run, GUARD_CHECK_MS);
  first.unref();
  timer.unref();
  return {
    stop: () => { clearTimeout(first); clearInterval(timer); },
    exportTo: (registry) => {
      new Gauge({ name: "netmedic_node_identity_guarded", help: "1 when the apiserver reached the node-identity webhook at the last check, 0 when it admitted without it (failurePolicy Ignore: agents' writes unchecked), -1 no verdict yet",
        registers: [registry], collect() { this.set(state === undefined ? -1 : state ? 1 : 0); } });
    },
  };
}

/** Names of the controller Pods that exist (the replicas whose certificates stay in the bundle). */
async function controllerPods(kubeConfig: KubeConfig, namespace: string, own: string): Promise<ReadonlySet<string>> {
  const list = await kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: CONTROLLER_SELECTOR });
  return new Set([own, ...list.items.map((pod) => pod.metadata?.name ?? "")]);
}
