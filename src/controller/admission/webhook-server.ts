/**
 * The node-identity admission webhook over HTTPS: POST /validate-networkhealth (NetworkHealth
 * writes) or /validate-agent-lease (the agents' heartbeat Leases) with an AdmissionReview, answered with one. A body that is not an AdmissionReview gets a 400 with one
 * line saying why; a failure while judging refuses the request (the webhook fails closed for the
 * agent) rather than crashing or hanging the apiserver's call.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Verdict } from "../../core/node-identity.js";
import { admissionResponse, parseAdmissionReview, ReviewError, type ReviewRequest } from "./admission-review.js";
import { reviewAgentLeaseWrite, reviewNetworkHealthWrite, type AgentAccount } from "./node-identity-review.js";
import type { PodNodes } from "./pod-nodes.js";
import type { ServingCert } from "./serving-cert.js";

/** The path the ValidatingWebhookConfiguration calls for NetworkHealth writes (deploy/53-node-identity-webhook.yaml). */
export const WEBHOOK_PATH = "/validate-networkhealth";
/** The path its second entry calls for writes to the agents' heartbeat Leases. */
export const AGENT_LEASE_WEBHOOK_PATH = "/validate-agent-lease";

type Reviewer = (request: ReviewRequest, agent: AgentAccount, pods: PodNodes) => Promise<Verdict>;
const REVIEWERS: ReadonlyMap<string, Reviewer> = new Map([[WEBHOOK_PATH, reviewNetworkHealthWrite], [AGENT_LEASE_WEBHOOK_PATH, reviewAgentLeaseWrite]]);

/** An AdmissionReview of two full NetworkHealths stays far below this. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** What the webhook needs: where to listen, its certificate, who the agents are, how to find their node. */
export interface WebhookOptions {
  listen: { host?: string; port: number };
  cert: ServingCert;
  agent: AgentAccount;
  pods: PodNodes;
  logger: Logger;
}

/** A listening webhook and the port it got (useful with port 0). */
export interface WebhookServer {
  port: number;
  close: () => Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("end", () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

const sendJson = (response: ServerResponse, code: number, body: unknown): void => {
  response.writeHead(code, { "Content-Type": "application/json" }).end(JSON.stringify(body));
};

async function handle(options: WebhookOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const reviewer = REVIEWERS.get((request.url ?? "").split("?")[0] ?? "");
  if (!reviewer) return void response.writeHead(404).end();
  if (request.method !== "POST") return void response.writeHead(405).end();
  const body = await readBody(request);
  if (body === undefined) return sendJson(response, 413, { message: `AdmissionReview larger than ${MAX_BODY_BYTES} bytes` });
  let review;
  try {
    review = parseAdmissionReview(body);
  } catch (error) {
    if (!(error instanceof ReviewError)) throw error;
    return sendJson(response, 400, { message: error.message });
  }
  let verdict: Verdict;
  try {
    verdict = await reviewer(review, options.agent, options.pods);
  } catch (error) {
    verdict = { allowed: false as const, message: `netmedic node identity could not judge this request: ${(error as Error).message}` };
  }
  if (!verdict.allowed) options.logger.info({ user: review.userInfo.username, resource: review.resource, name: review.name, reason: verdict.message }, "agent write refused");
  sendJson(response, 200, admissionResponse(review.uid, verdict.allowed, verdict.allowed ? undefined : verdict.message));
}

/** Starts the webhook on listen.host:port over TLS with `cert`. */
export async function startWebhookServer(options: WebhookOptions): Promise<WebhookServer> {
  const server: Server = createServer({ cert: options.cert.certPem, key: options.cert.keyPem, minVersion: "TLSv1.2" }, (request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      options.logger.error({ err: error }, "admission review failed");
      if (!response.headersSent) sendJson(response, 500, { message: "internal error" });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.listen.port, options.listen.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
