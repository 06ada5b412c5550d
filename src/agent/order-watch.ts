/**
 * Order pickup between rounds. The controller answers a changed report within about a second —
 * with a diagnosis, and when a fix is due, an order. Sleeping the whole interval (10 s) after such a
 * report made every order wait for the next round (the time-to-heal bench measured exactly 10 s of
 * its 31 s there). So after a report whose content changed, the agent looks at its NetworkHealth
 * after 1 s, then 2 s, 4 s … until the interval is used up, and starts the next round as soon as
 * an order is due. Heartbeat-only reports do not trigger it: a steady node costs no extra request.
 */
import type { ActionResult, NetworkHealth } from "../api/index.js";
import { sleep } from "./backoff.js";
import { dueOrder } from "./orders.js";

/** How the wait looks for an order. */
export interface OrderWatch {
  read: () => Promise<NetworkHealth | undefined>;
  /** The results this agent already has (an order they complete is not due). */
  results: () => readonly ActionResult[];
  /** First look after this long (default 1000 ms); each next look waits twice as long. */
  firstLookMs?: number;
}

/** Waits up to `totalMs`; resolves "order" early when an order is due, else "interval". Read errors are left to the next round. */
export async function waitForOrder(watch: OrderWatch, totalMs: number, signal: AbortSignal): Promise<"order" | "interval"> {
  let waited = 0;
  let step = watch.firstLookMs ?? 1000;
  while (waited + step < totalMs && !signal.aborted) {
    await sleep(step, signal);
    waited += step;
    step *= 2;
    if (signal.aborted) break;
    const health = await watch.read().catch(() => undefined);
    if (health && dueOrder(health.status?.remediation, watch.results())) return "order";
  }
  await sleep(totalMs - waited, signal);
  return "interval";
}
