/** The webhook over real TLS on loopback: malformed reviews are refused clearly, reviews are answered. */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { request } from "node:https";
import { X509Certificate, createPublicKey } from "node:crypto";
import { pino } from "pino";
import { PodNodes } from "../../../../src/controller/admission/pod-nodes.js";
import { selfSignedCert } from "../../../../src/controller/admission/serving-cert.js";
import { AGENT_LEASE_WEBHOOK_PATH, startWebhookServer, WEBHOOK_PATH, type WebhookServer } from "../../../../src/controller/admission/webhook-server.js";
import { mergedBundle } from "../../../../src/controller/admission/ca-bundle.js";
import { GUARD_PROBE_ANNOTATION, GUARD_PROBE_ANSWER } from "../../../../src/controller/admission/guard-check.js";

const cert = selfSignedCert({ commonName: "replica-0", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], notBefore: new Date(Date.now() - 60_000), validDays: 1 });
const pods: Record<string, { uid: string; nodeName: string }> = { "agent-a": { uid: "uid-a", nodeName: "node-a" } };
let reads = 0;
let server: WebhookServer;

beforeAll(async () => {
  const podNodes = new PodNodes(async (_ns, name) => {
    reads += 1;
    if (name === "broken") throw new Error("connection refused");
    return pods[name];
  });
  server = await startWebhookServer({ listen: { host: "127.0.0.1", port: 0 }, cert, agent: { namespace: "netmedic", name: "netmedic-agent" }, pods: podNodes, logger: pino({ level: "silent" }) });
});
afterAll(async () => server.close());

function post(body: string, path = WEBHOOK_PATH): Promise<{ code: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, path, method: "POST", ca: cert.certPem, servername: "localhost" }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ code: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const review = (user: Record<string, unknown>, name = "node-a") => JSON.stringify({
  apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview",
  request: { uid: "r1", operation: "UPDATE", subResource: "status", name, resource: { resource: "networkhealths" }, userInfo: user,
    oldObject: { status: {} }, object: { status: { agent: { heartbeatTime: "t" } } } },
});
const agent = (pod: string, uid: string) => ({ username: "system:serviceaccount:netmedic:netmedic-agent",
  extra: { "authentication.kubernetes.io/pod-name": [pod], "authentication.kubernetes.io/pod-uid": [uid] } });

describe("node-identity webhook server", () => {
  it.each([
    ["not JSON", "{", "request body is not JSON"],
    ["another kind", JSON.stringify({ apiVersion: "v1", kind: "Pod" }), "expected an admission.k8s.io/v1 AdmissionReview"],
    ["no request uid", JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: {} }), "AdmissionReview has no request.uid"],
  ])("answers a body that is %s with 400 and one line", async (_name, body, message) => {
    expect(await post(body)).toEqual({ code: 400, body: { message } });
  });

  it("answers an unknown path with 404", async () => {
    expect((await post("{}", "/other")).code).toBe(404);
  });

  it("allows its own node, refuses another's, reads each Pod once", async () => {
    reads = 0;
    const own = await post(review(agent("agent-a", "uid-a")));
    expect(own.body).toEqual({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "r1", allowed: true } });
    const other = await post(review(agent("agent-a", "uid-a"), "node-b"));
    expect(other.body.response).toMatchObject({ allowed: false, status: { code: 403, message: expect.stringContaining("node node-a may not write NetworkHealth node-b") } });
    expect(reads).toBe(1);
  });

  it("fails closed for an agent it cannot place: a deleted Pod, a Pod it cannot read", async () => {
    expect((await post(review(agent("agent-a", "uid-old")))).body.response).toMatchObject({ allowed: false, status: { message: expect.stringContaining("no longer exists") } });
    expect((await post(review(agent("broken", "uid-b")))).body.response).toMatchObject({ allowed: false, status: { message: expect.stringContaining("cannot read Pod netmedic/broken: connection refused") } });
  });

  it("refuses the guard check's dry run with its answer, and only a dry run", async () => {
    const probe = (dryRun: boolean) => JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "g1", operation: "UPDATE", name: "node-a", dryRun,
      userInfo: { username: "system:serviceaccount:netmedic:netmedic-controller" }, object: { metadata: { annotations: { [GUARD_PROBE_ANNOTATION]: "check" } } } } });
    expect((await post(probe(true))).body.response).toEqual({ uid: "g1", allowed: false, status: { code: 403, reason: "Forbidden", message: GUARD_PROBE_ANSWER } });
    expect((await post(probe(false))).body.response).toEqual({ uid: "g1", allowed: true });
  });

  it("routes /validate-agent-lease to the Lease judgement: its own Lease, not another node's, no delete", async () => {
    const leaseReview = (user: Record<string, unknown>, operation: string, name: string, holderIdentity?: string) => JSON.stringify({
      apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview",
      request: { uid: "l1", operation, name, namespace: "netmedic-node-lease", resource: { resource: "leases" }, userInfo: user,
        ...(holderIdentity ? { object: { spec: { holderIdentity } } } : {}) },
    });
    const asAgent = agent("agent-a", "uid-a");
    expect((await post(leaseReview(asAgent, "UPDATE", "node-a", "node-a"), AGENT_LEASE_WEBHOOK_PATH)).body.response).toEqual({ uid: "l1", allowed: true });
    expect((await post(leaseReview(asAgent, "CREATE", "node-b", "node-b"), AGENT_LEASE_WEBHOOK_PATH)).body.response)
      .toMatchObject({ allowed: false, status: { message: expect.stringContaining("node node-a may not write Lease netmedic-node-lease/node-b") } });
    expect((await post(leaseReview(asAgent, "DELETE", "node-a"), AGENT_LEASE_WEBHOOK_PATH)).body.response).toMatchObject({ allowed: false });
    const controller = { username: "system:serviceaccount:netmedic:netmedic-controller" };
    expect((await post(leaseReview(controller, "DELETE", "node-b"), AGENT_LEASE_WEBHOOK_PATH)).body.response).toEqual({ uid: "l1", allowed: true });
  });

  it("lets anyone else through (RBAC governs them)", async () => {
    expect((await post(review({ username: "system:serviceaccount:netmedic:netmedic-controller" }, "node-b"))).body.response).toEqual({ uid: "r1", allowed: true });
  });
});

describe("serving certificate and caBundle", () => {
  it("is a valid self-signed certificate for the names asked", () => {
    const x509 = new X509Certificate(cert.certPem);
    expect(x509.verify(createPublicKey(cert.keyPem))).toBe(true);
    expect(x509.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1");
    expect(x509.subject).toBe("CN=replica-0");
  });

  it("keeps live replicas' certificates, replaces its own, drops gone ones, converges in one order", () => {
    const other = selfSignedCert({ commonName: "replica-1", dnsNames: ["a"], notBefore: new Date(), validDays: 1 }).certPem;
    const gone = selfSignedCert({ commonName: "replica-9", dnsNames: ["a"], notBefore: new Date(), validDays: 1 }).certPem;
    const stale = selfSignedCert({ commonName: "replica-0", dnsNames: ["a"], notBefore: new Date(), validDays: 1 }).certPem;
    const live = new Set(["replica-0", "replica-1"]);
    const bundle = mergedBundle(gone + stale + other, { name: "replica-0", certPem: cert.certPem }, live, Date.now());
    expect(bundle).toBe(cert.certPem + other);
    expect(mergedBundle(bundle, { name: "replica-1", certPem: other }, live, Date.now())).toBe(bundle);
  });
});
