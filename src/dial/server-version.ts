/**
 * Does a configured k3s/RKE2 server serve the Kubernetes API? One anonymous TLS GET of `/version`:
 * an etcd-only k3s server still answers on 6443 (its supervisor) but replies `apiserver disabled`
 * (docs/architecture.md §8.2). No credentials are sent and the certificate is not verified: this
 * only classifies the reply, it trusts nothing in it.
 */
import { request } from "node:https";
import { classifyDialError } from "./classify.js";
import { boundedTimeout, elapsedMs, type DialOutcome } from "./tcp-dial.js";
import type { DialTarget } from "./target.js";

const MAX_BODY_BYTES = 4096;

/**
 * The detail text the diagnosis reads: `apiserver disabled (HTTP 503)` for an etcd-only server,
 * `serves the API (HTTP 200, …)` for an apiserver (a version document or a Kubernetes Status
 * object, e.g. 401 for anonymous), otherwise `unexpected reply (HTTP n)`.
 */
export function describeVersionReply(statusCode: number, body: string): string {
  if (/apiserver disabled/i.test(body)) return `apiserver disabled (HTTP ${statusCode})`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const doc = (parsed ?? {}) as { gitVersion?: unknown; kind?: unknown; apiVersion?: unknown };
  if (statusCode === 200 && typeof doc.gitVersion === "string" && /^v[0-9][0-9a-z.+-]{0,60}$/i.test(doc.gitVersion)) {
    return `serves the API (HTTP 200, ${doc.gitVersion})`;
  }
  if (doc.kind === "Status" && doc.apiVersion === "v1") return `serves the API (HTTP ${statusCode}, Status)`;
  return `unexpected reply (HTTP ${statusCode})`;
}

/**
 * GETs https://target/version. Resolves with result `ok` and the classified reply in `detail`
 * when any HTTP reply came back; with the errno code (`ETIMEDOUT` on timeout) otherwise.
 */
export function probeServerVersion(target: DialTarget, timeoutMs: number): Promise<DialOutcome> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<DialOutcome, "latencyMs">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...outcome, latencyMs: elapsedMs(start) });
    };
    const req = request({
      host: target.host, port: target.port, path: "/version", method: "GET",
      rejectUnauthorized: false, agent: false, headers: { accept: "application/json" },
    }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
        if (body.length >= MAX_BODY_BYTES) res.destroy();
      });
      const done = (): void => finish({ result: "ok", detail: describeVersionReply(res.statusCode ?? 0, body.slice(0, MAX_BODY_BYTES)) });
      res.once("end", done);
      res.once("close", done);
    });
    const timer = setTimeout(() => finish({ result: "ETIMEDOUT" }), boundedTimeout(timeoutMs));
    req.once("error", (error) => finish({ result: classifyDialError(error) }));
    req.end();
  });
}
