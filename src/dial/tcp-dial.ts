/** One bounded TCP connect, classified. */
import { connect } from "node:net";
import { classifyDialError } from "./classify.js";
import type { DialTarget } from "./target.js";

/** What a dial produced: `ok` or an errno code, the time it took, and optional detail text. */
export interface DialOutcome {
  result: string;
  latencyMs: number;
  detail?: string;
}

/** Upper bound for any single dial, whatever the caller asks for. */
export const MAX_DIAL_TIMEOUT_MS = 10_000;

/** Clamps a requested timeout into 1..MAX_DIAL_TIMEOUT_MS (default 3000). */
export function boundedTimeout(requested: number | undefined): number {
  if (requested === undefined || !Number.isFinite(requested)) return 3000;
  return Math.min(MAX_DIAL_TIMEOUT_MS, Math.max(1, Math.floor(requested)));
}

/** Milliseconds since `start` (a process.hrtime.bigint() reading), rounded. */
export function elapsedMs(start: bigint): number {
  return Number((process.hrtime.bigint() - start) / 1_000_000n);
}

/**
 * Connects to the target and closes at once. Resolves (never rejects) with `ok`, the socket's
 * errno code, or `ETIMEDOUT` when no answer came within timeoutMs (a dropped SYN never errors).
 */
export function dialTcp(target: DialTarget, timeoutMs: number): Promise<DialOutcome> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    let settled = false;
    const finish = (result: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ result, latencyMs: elapsedMs(start) });
    };
    const timer = setTimeout(() => finish("ETIMEDOUT"), boundedTimeout(timeoutMs));
    socket.once("connect", () => finish("ok"));
    socket.once("error", (error) => finish(classifyDialError(error)));
  });
}
