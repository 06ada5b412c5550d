/**
 * Recent konnectivity-agent log lines per pod, read through pods/log and reused for a TTL. Logs
 * are refreshed only by the reconcile of the pod's node and only when stale, so a resync of many
 * nodes does not become a storm of kubelet requests, and a steady cluster reads each log at most
 * once per TTL.
 */
import { namespacedName, type KubePod } from "../../core/index.js";

/** Log lines of one pod, or why there are none. */
export interface LogLines {
  lines: string[];
  error?: string;
}

/** Reads one pod's recent log (bounded; never throws). */
export type PodLogSource = (namespace: string, name: string) => Promise<LogLines>;

interface Entry {
  /** Kept as one object so its identity only changes when the log is re-read (views memoize on it). */
  log: LogLines;
  uid?: string;
  readAt: number;
}

/** Per-pod log cache keyed by "namespace/name" (the key the Observation uses). */
export class KonnectivityLogCache {
  private readonly entries = new Map<string, Entry>();
  /** Moves whenever a log is re-read or forgotten (what the Observation derives from the logs is memoized on it). */
  version = 0;
  private retainedVersion: number | undefined;

  constructor(private readonly read: PodLogSource, private ttlMs: number) {}

  /** Changes the TTL (config reload). */
  setTtl(ttlMs: number): void {
    this.ttlMs = ttlMs;
  }

  /** Re-reads the logs of those `pods` whose cached lines are older than the TTL (or of another pod incarnation). */
  async refresh(pods: readonly KubePod[]): Promise<void> {
    const now = Date.now();
    await Promise.all(pods.map(async (pod) => {
      const namespace = pod.metadata?.namespace ?? "";
      const name = pod.metadata?.name ?? "";
      const key = namespacedName({ namespace, name });
      const cached = this.entries.get(key);
      if (cached && cached.uid === pod.metadata?.uid && now - cached.readAt < this.ttlMs) return;
      const { lines, error } = pod.spec?.nodeName ? await this.read(namespace, name) : { lines: [], error: "pod is not scheduled" };
      const log = error === undefined ? { lines } : { lines, error };
      this.entries.set(key, { log, uid: pod.metadata?.uid, readAt: Date.now() });
      this.version += 1;
    }));
  }

  /** Forgets the logs of these pods (their node's probe decides now; a stale excerpt must not linger as evidence). */
  drop(pods: readonly KubePod[]): void {
    for (const pod of pods) if (this.entries.delete(namespacedName(pod.metadata))) this.version += 1;
  }

  /** Forgets pods no longer present; a no-op when `podsVersion` is the one already retained against. */
  retain(pods: () => readonly KubePod[], podsVersion?: number): void {
    if (podsVersion !== undefined && podsVersion === this.retainedVersion) return;
    this.retainedVersion = podsVersion;
    this.retainPods(pods());
  }

  private retainPods(pods: readonly KubePod[]): void {
    const present = new Set(pods.map((pod) => namespacedName(pod.metadata)));
    for (const key of this.entries.keys()) if (!present.has(key) && this.entries.delete(key)) this.version += 1;
  }

  /** The cached logs in the Observation's shape. */
  snapshot(): Record<string, LogLines> {
    const result: Record<string, LogLines> = {};
    for (const [key, { log }] of this.entries) result[key] = log;
    return result;
  }
}
