/**
 * The webhook's caBundle without cert-manager: every controller replica adds its own self-signed
 * certificate (serving-cert.ts) to the ValidatingWebhookConfiguration, keeping the certificates of
 * the other replicas that still exist (subject CN = Pod name) and dropping expired ones. The bundle
 * is sorted, so two replicas converge instead of rewriting each other; an update is a replace at the
 * read resourceVersion, retried on conflict. The controller's ClusterRole may get and update only
 * this one configuration (resourceNames).
 */
import { X509Certificate } from "node:crypto";
import { AdmissionregistrationV1Api, type KubeConfig } from "@kubernetes/client-node";

/** The ValidatingWebhookConfiguration deploy/ ships. */
export const WEBHOOK_CONFIGURATION = "netmedic-node-identity";

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

function commonName(pem: string): { cn: string; expires: number } | undefined {
  try {
    const cert = new X509Certificate(pem);
    return { cn: /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? "", expires: Date.parse(cert.validTo) };
  } catch {
    return undefined;
  }
}

/**
 * The bundle with `own` (the certificate of replica `ownName`) in it: the certificates of `live`
 * replicas other than this one, unexpired at `now`, plus `own`, sorted by CN.
 */
export function mergedBundle(existing: string, own: { name: string; certPem: string }, live: ReadonlySet<string>, now: number): string {
  const kept = (existing.match(PEM_BLOCK) ?? []).map((pem) => ({ pem: pem.trimEnd() + "\n", info: commonName(pem) }))
    .filter(({ info }) => info && info.cn !== own.name && live.has(info.cn) && info.expires > now)
    .map(({ pem, info }) => ({ pem, cn: info?.cn ?? "" }));
  kept.push({ pem: own.certPem, cn: own.name });
  return kept.sort((a, b) => a.cn.localeCompare(b.cn)).map(({ pem }) => pem).join("");
}

/** Where and what to publish. */
export interface PublishRequest {
  kubeConfig: KubeConfig;
  /** This replica's Pod name (its certificate's CN) and certificate. */
  own: { name: string; certPem: string };
  /** Names of the controller Pods that exist now. */
  live: () => Promise<ReadonlySet<string>>;
  configuration?: string;
}

/** Puts this replica's certificate in every webhook's caBundle; true when it wrote. */
export async function publishCaBundle(request: PublishRequest): Promise<boolean> {
  const api = request.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const name = request.configuration ?? WEBHOOK_CONFIGURATION;
  for (let attempt = 1; ; attempt += 1) {
    const [config, live] = await Promise.all([api.readValidatingWebhookConfiguration({ name }), request.live()]);
    let changed = false;
    for (const webhook of config.webhooks ?? []) {
      const existing = Buffer.from(webhook.clientConfig.caBundle ?? "", "base64").toString("utf8");
      const bundle = mergedBundle(existing, request.own, live, Date.now());
      if (bundle === existing) continue;
      webhook.clientConfig.caBundle = Buffer.from(bundle).toString("base64");
      changed = true;
    }
    if (!changed) return false;
    try {
      await api.replaceValidatingWebhookConfiguration({ name, body: config });
      return true;
    } catch (error) {
      if ((error as { code?: number }).code !== 409 || attempt >= 5) throw error;
    }
  }
}
