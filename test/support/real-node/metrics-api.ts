/**
 * The aggregated API of the k0s incident on real nodes: APIService v1beta1.metrics.k8s.io backed by
 * a pod on one node. No metrics-server package exists in Debian and its image cannot be pulled here,
 * so the pod runs a stand-in for metrics-server's discovery endpoint in the netmedic image (node is
 * in it): HTTPS with a certificate made here by openssl (a Secret), answering GET
 * /apis/metrics.k8s.io/v1beta1 with metrics-server's APIResourceList. That is all the apiserver's
 * availability check asks for (a 2xx from that path, through the egress proxy), and the alert judges
 * that reachability — which is what the incident breaks — not the metrics themselves.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiregistrationV1Api, CoreV1Api, type KubeConfig, type V1APIService } from "@kubernetes/client-node";
import { mustRun } from "../lab/run.js";
import { NETMEDIC_IMAGE } from "./binaries.js";

/** The APIService the incident breaks. */
export const METRICS_API = "v1beta1.metrics.k8s.io";
const NAMESPACE = "kube-system";
const NAME = "metrics-server";
const PORT = 4443;

// Fixed program: metrics-server's discovery document on /apis/metrics.k8s.io/v1beta1, 404 elsewhere.
const DISCOVERY_SERVER = String.raw`
const https = require("https"), fs = require("fs");
const list = JSON.stringify({ kind: "APIResourceList", apiVersion: "v1", groupVersion: "metrics.k8s.io/v1beta1", resources: [
  { name: "nodes", singularName: "", namespaced: false, kind: "NodeMetrics", verbs: ["get", "list"] },
  { name: "pods", singularName: "", namespaced: true, kind: "PodMetrics", verbs: ["get", "list"] }] });
https.createServer({ cert: fs.readFileSync("/certs/tls.crt"), key: fs.readFileSync("/certs/tls.key") }, (req, res) => {
  const found = req.url.split("?")[0] === "/apis/metrics.k8s.io/v1beta1";
  res.writeHead(found ? 200 : 404, { "content-type": "application/json" });
  res.end(found ? list : "{}");
}).listen(${PORT}, () => console.log("serving metrics.k8s.io/v1beta1 discovery on :${PORT}"));
`;

/** A self-signed serving certificate for the Service's DNS name (the aggregator's TLS server name). */
async function servingCert(): Promise<{ cert: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), "netmedic-metrics-api-"));
  try {
    const dns = `${NAME}.${NAMESPACE}.svc`;
    await mustRun(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${dns}`,
      "-addext", `subjectAltName=DNS:${dns}`, "-keyout", join(dir, "tls.key"), "-out", join(dir, "tls.crt")]);
    return { cert: readFileSync(join(dir, "tls.crt"), "utf8"), key: readFileSync(join(dir, "tls.key"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Creates the Secret, the pod on `node`, its Service and the APIService (verified by the certificate, not skipped). */
export async function installMetricsAPI(kubeConfig: KubeConfig, node: string): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const { cert, key } = await servingCert();
  const labels = { "k8s-app": NAME };
  await core.createNamespacedSecret({ namespace: NAMESPACE, body: { metadata: { name: `${NAME}-tls` }, type: "kubernetes.io/tls", stringData: { "tls.crt": cert, "tls.key": key } } });
  await core.createNamespacedPod({ namespace: NAMESPACE, body: { metadata: { name: NAME, labels }, spec: {
    nodeName: node, tolerations: [{ operator: "Exists" }],
    volumes: [{ name: "certs", secret: { secretName: `${NAME}-tls` } }],
    containers: [{ name: NAME, image: NETMEDIC_IMAGE, imagePullPolicy: "Never", command: ["node", "-e", DISCOVERY_SERVER],
      ports: [{ name: "https", containerPort: PORT }], volumeMounts: [{ name: "certs", mountPath: "/certs", readOnly: true }] }],
  } } });
  await core.createNamespacedService({ namespace: NAMESPACE, body: { metadata: { name: NAME }, spec: { selector: labels, ports: [{ name: "https", port: 443, targetPort: "https" }] } } });
  await kubeConfig.makeApiClient(ApiregistrationV1Api).createAPIService({ body: { metadata: { name: METRICS_API }, spec: {
    group: "metrics.k8s.io", version: "v1beta1", groupPriorityMinimum: 100, versionPriority: 100,
    caBundle: Buffer.from(cert).toString("base64"), service: { namespace: NAMESPACE, name: NAME, port: 443 },
  } } });
}

/** The APIService's Available condition as the apiserver's aggregator last set it. */
export async function metricsAPIAvailable(kubeConfig: KubeConfig): Promise<{ status?: string; reason?: string; message?: string }> {
  const service: V1APIService = await kubeConfig.makeApiClient(ApiregistrationV1Api).readAPIService({ name: METRICS_API });
  const available = service.status?.conditions?.find((c) => c.type === "Available");
  return { status: available?.status, reason: available?.reason, message: available?.message };
}
