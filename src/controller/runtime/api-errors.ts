/**
 * Decides whether a failed API call is worth retrying. Transient: the server or the network may
 * answer differently later (5xx, 429, 409 conflict, 408, 404 of an object being recreated, 401 while
 * a token rotates, connection errors, timeouts). Terminal: the request itself is wrong or forbidden
 * (400/422 validation, 403 RBAC, 405/413/415) — retrying the same request cannot succeed, so it is
 * recorded and left until the next real change.
 */
import { ApiException } from "@kubernetes/client-node";

/** How the work queue treats a failure. */
export type ErrorClass = "transient" | "terminal";

const TERMINAL_STATUS = new Set([400, 403, 405, 406, 413, 415, 422]);

/** The HTTP status of a client-node error, when it carries one. */
export function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const candidate = error as { code?: unknown; statusCode?: unknown } | null;
  if (typeof candidate?.statusCode === "number") return candidate.statusCode;
  if (typeof candidate?.code === "number") return candidate.code;
  return undefined;
}

/** Classifies an error; anything without a terminal HTTP status counts as transient. */
export function classifyError(error: unknown): ErrorClass {
  const status = httpStatusOf(error);
  return status !== undefined && TERMINAL_STATUS.has(status) ? "terminal" : "transient";
}

/**
 * A short, secret-free description for logs and events: the HTTP status and the server's message
 * (the Status object's `message`, which names the field that failed validation), or the error's own
 * message for network failures. Never the request body or headers.
 */
export function describeError(error: unknown): string {
  if (error instanceof ApiException) {
    const body = error.body as unknown;
    const parsed = typeof body === "string" ? safeParse(body) : body;
    const message = (parsed as { message?: unknown } | undefined)?.message;
    return `HTTP ${error.code}${typeof message === "string" ? `: ${message}` : ""}`;
  }
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === "string" ? message : String(error);
  return typeof code === "string" && !text.includes(code) ? `${code}: ${text}` : text;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 300) };
  }
}
