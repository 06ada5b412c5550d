/**
 * Writes core/v1 Events. Events about cluster-scoped objects (Node, NetworkHealth) live in the
 * `default` namespace, as kubelet and kube-controller-manager put them (and as the controller's
 * RBAC grants); events about namespaced objects live in the object's namespace. Best effort: an
 * Event that cannot be written is reported to `onError` and dropped — it must never fail or retry
 * a reconcile.
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

const MESSAGE_LIMIT = 1024;

/** Records Events as `component` (source and reportingController) from `instance`. */
export class EventRecorder {
  private readonly api: CoreV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly component: string,
    private readonly instance: string,
    private readonly onError: (error: unknown, target: EventTarget, event: EventRecord) => void = () => undefined,
  ) {
    this.api = kubeConfig.makeApiClient(CoreV1Api);
  }

  /** Writes `event` about every target; resolves when all attempts are done, never rejects. */
  async record(targets: EventTarget[], event: EventRecord): Promise<void> {
    await Promise.all(targets.map(async (target) => {
      try {
        const body = this.eventFor(target, event);
        await this.api.createNamespacedEvent({ namespace: body.metadata.namespace ?? "default", body }, withTimeout(5000));
      } catch (error) {
        this.onError(error, target, event);
      }
    }));
  }

  private eventFor(target: EventTarget, event: EventRecord): CoreV1Event {
    const namespace = target.namespace ?? "default";
    const now = new Date();
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
