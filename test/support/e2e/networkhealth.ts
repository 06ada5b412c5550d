/**
 * Following a NetworkHealth from the outside, as `kubectl get nh -w` would: one summary line per
 * change (conditions, remediation phase), kept with its time, and waits on the object's state.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { FIELD_MANAGER_CONTROLLER, type NetworkHealth } from "../../../src/api/index.js";
import { NetworkHealthClient } from "../../../src/k8s/networkhealth-client.js";
import { eventually } from "./processes.js";

/** "Type" → "Status/Reason" of each condition. */
export function conditionsOf(health: NetworkHealth | undefined): Record<string, string> {
  return Object.fromEntries((health?.status?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
}

/** The one-line summary printed per change: every condition, then the remediation phase and order. */
export function summaryLine(health: NetworkHealth | undefined): string {
  if (!health) return "(no NetworkHealth yet)";
  const conditions = Object.entries(conditionsOf(health)).map(([type, value]) => `${type}=${value}`).join(" ");
  const r = health.status?.remediation;
  const order = r?.phase ? ` | remediation ${r.phase}${r.orderId ? ` ${r.orderId}` : ""}${r.actions?.length ? ` [${r.actions.map((a) => a.action).join(",")}]` : ""}` : "";
  return `${conditions || "(no conditions)"}${order}`;
}

/** One observed change. */
export interface Transition {
  time: string;
  line: string;
  health: NetworkHealth | undefined;
}

/** Polls one NetworkHealth and keeps every distinct summary line. */
export class NetworkHealthFollower {
  readonly transitions: Transition[] = [];
  latest: NetworkHealth | undefined;
  private readonly client: NetworkHealthClient;
  private timer: NodeJS.Timeout | undefined;

  /** `onChange` is called with each new summary line (e.g. to print it). */
  constructor(kubeConfig: KubeConfig, readonly name: string, private readonly onChange: (t: Transition) => void = () => undefined) {
    this.client = new NetworkHealthClient(kubeConfig, FIELD_MANAGER_CONTROLLER);
  }

  /** Starts polling every `intervalMs`. */
  start(intervalMs = 500): this {
    const poll = async (): Promise<void> => {
      try {
        await this.read();
      } catch {
        // the next poll retries
      }
    };
    void poll();
    this.timer = setInterval(() => void poll(), intervalMs);
    return this;
  }

  /** Reads the object now, recording a transition when its summary changed. */
  async read(): Promise<NetworkHealth | undefined> {
    const health = await this.client.get(this.name);
    this.latest = health;
    const line = summaryLine(health);
    if (this.transitions.at(-1)?.line !== line) {
      const transition = { time: new Date().toISOString(), line, health };
      this.transitions.push(transition);
      this.onChange(transition);
    }
    return health;
  }

  /** Waits until `predicate` holds on a fresh read; the error shows the transitions seen so far. */
  async waitFor(what: string, predicate: (health: NetworkHealth) => boolean, timeoutMs: number): Promise<NetworkHealth> {
    try {
      return await eventually(what, async () => {
        const health = await this.read();
        return health && predicate(health) ? health : undefined;
      }, timeoutMs, 500);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${this.name} transitions:\n${this.history()}`, { cause: error });
    }
  }

  /** The transitions as text, one per line. */
  history(): string {
    return this.transitions.map((t) => `${t.time} ${t.line}`).join("\n");
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Whether the condition `type` has `status` (and `reason`, when given). */
export function hasCondition(health: NetworkHealth | undefined, type: string, status: string, reason?: string): boolean {
  const c = health?.status?.conditions?.find((x) => x.type === type);
  return c?.status === status && (reason === undefined || c.reason === reason);
}
