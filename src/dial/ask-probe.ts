/**
 * The agent's side of the probe protocol: ask the local probe pod to dial a target from the pod
 * network. Runs inside the host network namespace (the node-local host → pod path works while
 * forwarding is broken). Any failure to get a well-formed answer is EPROBEUNAVAILABLE, with the
 * reason in `detail`, so it is never mistaken for the pod network's own outcome.
 */
import { request } from "node:http";
import { classifyDialError, isDialResult, PROBE_UNAVAILABLE } from "./classify.js";
import { boundedTimeout, elapsedMs, type DialOutcome } from "./tcp-dial.js";
import type { DialTarget } from "./target.js";

/** Wire format of `POST /dial`. */
export interface DialRequest {
  target: string;
  timeoutMs?: number;
}

/** Wire format of a `/dial` answer. */
export interface DialResponse {
  result: string;
  latencyMs: number;
}

const MAX_ANSWER_BYTES = 2048;

function unavailable(detail: string, start: bigint): DialOutcome {
  return { result: PROBE_UNAVAILABLE, latencyMs: elapsedMs(start), detail };
}

/** Parses the probe's answer; undefined when it is not a well-formed DialResponse. */
export function parseDialResponse(text: string): DialResponse | undefined {
  try {
    const value = JSON.parse(text) as Partial<DialResponse>;
    if (!isDialResult(value.result) || typeof value.latencyMs !== "number" || !(value.latencyMs >= 0)) return undefined;
    return { result: value.result, latencyMs: Math.round(value.latencyMs) };
  } catch {
    return undefined;
  }
}

/**
 * POSTs {target, timeoutMs} to http://probe/dial and returns the probe's outcome (its latency is
 * the pod-side dial's). The request itself gets timeoutMs plus 2 s of slack.
 */
export function askProbe(probe: DialTarget, target: DialTarget, timeoutMs: number): Promise<DialOutcome> {
  const start = process.hrtime.bigint();
  const dialTimeout = boundedTimeout(timeoutMs);
  const body = JSON.stringify({ target: target.text, timeoutMs: dialTimeout } satisfies DialRequest);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: DialOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const req = request({
      host: probe.host, port: probe.port, path: "/dial", method: "POST", agent: false,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
        if (text.length > MAX_ANSWER_BYTES) finish(unavailable("probe answer too large", start));
      });
      res.once("end", () => {
        const answer = res.statusCode === 200 ? parseDialResponse(text) : undefined;
        finish(answer ?? unavailable(`probe answered HTTP ${res.statusCode ?? 0}`, start));
      });
    });
    const timer = setTimeout(() => finish(unavailable("probe did not answer in time", start)), dialTimeout + 2000);
    req.once("error", (error) => finish(unavailable(`probe unreachable: ${classifyDialError(error)}`, start)));
    req.end(body);
  });
}
