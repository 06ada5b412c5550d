/**
 * Reads the tail of a pod's log through the pods/log API (the apiserver proxies to the kubelet).
 * Bounded three ways — lines, bytes and time — because the kubelet may be gone (NotReady node, the
 * very fault being diagnosed) and a reconcile must not hang on it. An unreadable log is data
 * (`error`), never an exception: the diagnosis goes on with less evidence.
 */
import { ApiException, type CoreV1Api } from "@kubernetes/client-node";
import { withTimeout } from "./request-options.js";

/** Bounds of one log read. */
export interface PodLogLimits {
  tailLines: number;
  limitBytes: number;
  timeoutMs: number;
}

/** Log lines (oldest first), or why there are none. */
export interface PodLogResult {
  lines: string[];
  error?: string;
}

/** Reads the last lines of `namespace/name`'s (first) container log. */
export async function readPodLogTail(core: CoreV1Api, namespace: string, name: string, limits: PodLogLimits): Promise<PodLogResult> {
  try {
    const text = await core.readNamespacedPodLog(
      { name, namespace, tailLines: limits.tailLines, limitBytes: limits.limitBytes },
      withTimeout(limits.timeoutMs),
    );
    return { lines: String(text).split("\n").filter((line) => line !== "") };
  } catch (error) {
    return { lines: [], error: `logs unavailable: ${reasonOf(error)}` };
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof ApiException) return `HTTP ${error.code}`;
  const { name, code, message } = error as { name?: string; code?: string; message?: string };
  if (name === "TimeoutError" || name === "AbortError") return "timed out";
  return code ?? message ?? String(error);
}
