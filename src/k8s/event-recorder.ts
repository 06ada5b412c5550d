/**
 * Writes core/v1 Events. Events about cluster-scoped objects (Node, NetworkHealth) live in the
 * `default` namespace, as kubelet and kube-controller-manager put them (and as the controller's
 * RBAC grants); events about namespaced objects live in the object's namespace.
 *
 * Off the reconcile path, like client-go's broadcaster: `record` only queues (timestamps taken
 * then), a few senders POST in the background behind the API rate limit, and the backlog is
 * bounded — when the apiserver cannot keep up, new Events are dropped and counted rather than held
 * in memory or allowed to slow reconciles. Best effort: a failed Event is reported to `onError`,
 * never retried, and never fails a reconcile.
 */
import { randomBytes } from "node:crypto";
import { CoreV1Api, type CoreV1Event, type KubeConfig } from "@kubernetes/client-node";
import { withTimeout } from "./request-options.js";

/** The object an Event is about. */
export interface EventTarget {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
  namespace?: string;
}

/** One Event to record. */
export interface EventRecord {
  type: "Normal" | "Warning";
  /** CamelCase reason, e.g. a condition reason. */
  reason: string;
  message: string;
}

/** How Events leave the process. */
export interface EventRecorderOptions {
  /** Called for an Event the apiserver did not take. */
  onError?: (error: unknown, target: EventTarget, event: EventRecord) => void;
  /** Called for an Event dropped because the backlog was full. */
  onDropped?: (target: EventTarget, event: EventRecord) => void;
  /** Waited on before each POST (the controller's API rate limit). */
  beforeRequest?: () => Promise<void>;
  /** Events queued at most (default 1000). */
  backlog?: number;
  /** POSTs in flight at most (default 4). */
  senders?: number;
}

const MESSAGE_LIMIT = 1024;

interface QueuedEvent {
  body: CoreV1Event;
  target: EventTarget;
  event: EventRecord;
}

/** Records Events as `component` (source and reportingController) from `instance`. */
export class EventRecorder {
  private readonly api: CoreV1Api;
  private readonly pending: QueuedEvent[] = [];
  private sending = 0;
  private idle: Array<() => void> = [];

  constructor(kubeConfig: KubeConfig, private readonly component: string, private readonly instance: string, private readonly options: EventRecorderOptions = {}) {
    this.api = kubeConfig.makeApiClient(CoreV1Api);
  }

  /** Queues `event` about every target and returns at once; never throws. */
  record(targets: EventTarget[], event: EventRecord): void {
    for (const target of targets) {
      if (this.pending.length >= (this.options.backlog ?? 1000)) {
        this.options.onDropped?.(target, event);
        continue;
      }
      this.pending.push({ body: this.eventFor(target, event, new Date()), target, event });
    }
    this.pump();
  }

  /** Resolves once every queued Event has been sent (or failed). */
  flush(): Promise<void> {
    if (this.pending.length === 0 && this.sending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Events queued or in flight. */
  get backlog(): number {
    return this.pending.length + this.sending;
  }

  private pump(): void {
    while (this.sending < (this.options.senders ?? 4) && this.pending.length > 0) {
      const next = this.pending.shift() as QueuedEvent;
      this.sending += 1;
      void this.send(next).finally(() => {
        this.sending -= 1;
        this.pump();
        if (this.backlog === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  }

  private async send({ body, target, event }: QueuedEvent): Promise<void> {
    try {
      await this.options.beforeRequest?.();
      await this.api.createNamespacedEvent({ namespace: body.metadata.namespace ?? "default", body }, withTimeout(5000));
    } catch (error) {
      this.options.onError?.(error, target, event);
    }
  }

  private eventFor(target: EventTarget, event: EventRecord, now: Date): CoreV1Event {
    const namespace = target.namespace ?? "default";
    // Same naming scheme as client-go's recorder: <object>.<unique suffix>.
    const name = `${target.name}.${now.getTime().toString(16)}${randomBytes(3).toString("hex")}`;
    return {
      metadata: { name, namespace },
      involvedObject: { apiVersion: target.apiVersion, kind: target.kind, name: target.name, uid: target.uid, namespace: target.namespace },
      type: event.type,
      reason: event.reason,
      message: event.message.length > MESSAGE_LIMIT ? `${event.message.slice(0, MESSAGE_LIMIT - 3)}...` : event.message,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance.slice(0, 128),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
  }
}
