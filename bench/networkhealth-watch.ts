/**
 * The bench's view of every NetworkHealth, kept by one watch (no polling lists, so the bench adds
 * one WATCH to the apiserver's counters), plus the stand-in node agents: as soon as a node's
 * NetworkHealth appears, its agent reports facts under netmedic-agent, as a real agent would.
 */
import { Watch, type KubeConfig } from "@kubernetes/client-node";
import type { NetworkHealth } from "../src/api/index.js";
import { agentClient, reportAsAgent } from "./cluster.js";

/** NetworkHealths by node name, what each node's agent reports, and whether status matches it. */
export class NetworkHealthWatch {
  readonly objects = new Map<string, NetworkHealth>();
  /** node → broken? (what its agent currently reports). */
  readonly broken = new Map<string, boolean>();
  /** Agent reports applied so far. */
  reports = 0;
  /** The last failed report's error (for the bench log). */
  lastError: string | undefined;
  private readonly pending: string[] = [];
  private readonly reported = new Set<string>();
  private inFlight = 0;
  private abort: AbortController | undefined;
  private stopped = false;
  private readonly agent: ReturnType<typeof agentClient>;

  constructor(private readonly admin: KubeConfig, initial: Map<string, boolean>, private readonly concurrency = 16) {
    for (const [name, broken] of initial) this.broken.set(name, broken);
    this.agent = agentClient(admin);
  }

  /** Starts watching; restarts the watch if the server ends it. */
  async start(): Promise<void> {
    if (this.stopped) return;
    this.abort = await new Watch(this.admin).watch("/apis/netmedic.io/v1alpha1/networkhealths", {}, (type: string, object: NetworkHealth) => {
      const name = object.metadata?.name ?? "";
      if (type === "DELETED") this.objects.delete(name);
      else this.objects.set(name, object);
      if (type === "ADDED" && this.broken.has(name) && !this.reported.has(name)) this.enqueue(name);
    }, () => void setTimeout(() => void this.start(), 200));
  }

  /** Stops the watch. */
  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  /** Flips what `name`'s agent reports and applies the new report. */
  flip(name: string): Promise<void> {
    this.broken.set(name, !this.broken.get(name));
    return this.report(name);
  }

  /** Whether `name`'s status shows what its agent reports (Ready and IPForwarding). */
  correct(name: string): boolean {
    const conditions = this.objects.get(name)?.status?.conditions ?? [];
    const status = (type: string) => conditions.find((c) => c.type === type)?.status;
    return this.broken.get(name) ? status("Ready") === "False" && status("IPForwarding") === "False" : status("Ready") === "True";
  }

  /** "Type=Status/Reason …" of the first node not yet correct (for the bench log). */
  firstIncorrect(): string | undefined {
    const name = [...this.broken.keys()].find((node) => !this.correct(node));
    if (name === undefined) return undefined;
    const conditions = this.objects.get(name)?.status?.conditions ?? [];
    return `${name} (agent reports ${this.broken.get(name) ? "broken" : "healthy"}): ${conditions.map((c) => `${c.type}=${c.status}/${c.reason}`).join(" ")}`;
  }

  /** How many nodes show the expected conditions. */
  correctCount(): number {
    let count = 0;
    for (const name of this.broken.keys()) if (this.correct(name)) count += 1;
    return count;
  }

  private enqueue(name: string): void {
    this.reported.add(name);
    this.pending.push(name);
    this.drain();
  }

  private drain(): void {
    while (this.inFlight < this.concurrency && this.pending.length > 0) {
      const name = this.pending.shift() as string;
      this.inFlight += 1;
      void this.report(name).finally(() => {
        this.inFlight -= 1;
        this.drain();
      });
    }
  }

  private async report(name: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await reportAsAgent(this.agent, name, this.broken.get(name) ?? false);
        this.reports += 1;
        return;
      } catch (error) {
        this.lastError = String((error as { body?: string }).body ?? error).slice(0, 300);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}
