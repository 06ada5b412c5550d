/**
 * The confirmation probe of the dead-man switch: after an order's changes, does the node still reach
 * the API server? Asked from the node's own network namespace (the host dialer, as the agent's other
 * probes), as `GET /version` over TLS to the controller's live apiserver endpoints; any one that
 * answers as an apiserver (any HTTP reply it recognises, also 401/403 Status) confirms. Retried until
 * the deadline, because a restarted unit or a reloaded firewall needs a moment to settle.
 */
import type { Dialer } from "../host-dialer.js";
import { sleep } from "../backoff.js";

/** The outcome: confirmed, or the last reason it was not. */
export interface Confirmation {
  confirmed: boolean;
  detail: string;
}

/** Pause between attempts (each attempt itself waits up to its dial timeout). */
const CONFIRM_RETRY_MS = 1000;
const MAX_ATTEMPT_MS = 3000;

/** Whether one attempt's outcome is an apiserver answering (a reply, not an etcd-only server). */
function answersAsAPIServer(result: string, detail: string | undefined): boolean {
  return result === "ok" && /^serves the API/.test(detail ?? "");
}

async function attempt(dialer: Dialer, endpoints: readonly string[], timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  try {
    const outcomes = await dialer.dial(endpoints.map((target) => ({ kind: "version" as const, target, timeoutMs })));
    if (outcomes.some((o) => answersAsAPIServer(o.result, o.detail))) return { ok: true, detail: "" };
    return { ok: false, detail: outcomes.map((o, i) => `${endpoints[i]} ${o.detail ?? o.result}`).join(", ") };
  } catch (error) {
    return { ok: false, detail: `dialer failed: ${(error as Error).message}` };
  }
}

/**
 * Probes until an endpoint answers or `deadline` passes. No endpoint known means there is nothing to
 * probe: confirmed, and the detail says so (the controller always sends the live endpoints it knows).
 */
export async function confirmReachable(dialer: Dialer, endpoints: readonly string[], deadline: Date, clock: () => Date, signal?: AbortSignal): Promise<Confirmation> {
  if (endpoints.length === 0) return { confirmed: true, detail: "no apiserver endpoint known: confirmed without a probe" };
  let last = "not probed before the deadline";
  for (;;) {
    const left = deadline.getTime() - clock().getTime();
    if (left <= 0) return { confirmed: false, detail: last };
    const result = await attempt(dialer, endpoints, Math.max(100, Math.min(MAX_ATTEMPT_MS, left)));
    if (result.ok) return { confirmed: true, detail: `API server reachable from the node (${endpoints.join(", ")})` };
    last = result.detail;
    const pause = Math.min(CONFIRM_RETRY_MS, deadline.getTime() - clock().getTime());
    if (pause > 0) await sleep(pause, signal);
    if (signal?.aborted) return { confirmed: false, detail: `${last} (agent stopping)` };
  }
}
