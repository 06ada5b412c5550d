/**
 * The admission.k8s.io/v1 AdmissionReview wire format: what the webhook reads and what it answers.
 * Parsing is defensive: whatever arrives (not JSON, wrong kind, no uid) becomes a ReviewError with
 * one line saying what was wrong, never an exception that reaches the HTTP server.
 */
import type { NetworkHealth } from "../../api/index.js";

/** The user the apiserver authenticated; `extra` carries a bound token's Pod. */
export interface ReviewUser {
  username: string;
  extra: Record<string, string[]>;
}

/** The parts of an AdmissionRequest the node-identity webhook looks at. */
export interface ReviewRequest {
  uid: string;
  operation: string;
  subResource: string;
  name: string;
  /** "" for a cluster-scoped object (a NetworkHealth). */
  namespace: string;
  resource: string;
  /** A dry run changes nothing: the guard check (guard-check.ts) sends its probe as one. */
  dryRun: boolean;
  userInfo: ReviewUser;
  object: NetworkHealth | undefined;
  oldObject: NetworkHealth | undefined;
}

/** A body that is not an AdmissionReview the webhook can judge. */
export class ReviewError extends Error {}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** Parses an AdmissionReview body; throws ReviewError (one line) when it is not one. */
export function parseAdmissionReview(body: string): ReviewRequest {
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch {
    throw new ReviewError("request body is not JSON");
  }
  if (!isObject(review) || review.kind !== "AdmissionReview" || review.apiVersion !== "admission.k8s.io/v1") {
    throw new ReviewError("expected an admission.k8s.io/v1 AdmissionReview");
  }
  const request = review.request;
  if (!isObject(request) || !text(request.uid)) throw new ReviewError("AdmissionReview has no request.uid");
  return {
    uid: text(request.uid),
    operation: text(request.operation),
    subResource: text(request.subResource),
    name: text(request.name),
    namespace: text(request.namespace),
    resource: isObject(request.resource) ? text(request.resource.resource) : "",
    dryRun: request.dryRun === true,
    userInfo: parseUser(request.userInfo),
    object: isObject(request.object) ? (request.object as unknown as NetworkHealth) : undefined,
    oldObject: isObject(request.oldObject) ? (request.oldObject as unknown as NetworkHealth) : undefined,
  };
}

function parseUser(value: unknown): ReviewUser {
  if (!isObject(value)) return { username: "", extra: {} };
  const extra: Record<string, string[]> = {};
  if (isObject(value.extra)) {
    for (const [key, items] of Object.entries(value.extra)) {
      if (Array.isArray(items)) extra[key] = items.filter((item): item is string => typeof item === "string");
    }
  }
  return { username: text(value.username), extra };
}

/** The AdmissionReview answer for `uid`: allowed, or refused with `message` (HTTP-like 403). */
export function admissionResponse(uid: string, allowed: boolean, message?: string): Json {
  const response: Json = { uid, allowed };
  if (!allowed) response.status = { code: 403, reason: "Forbidden", message };
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response };
}
