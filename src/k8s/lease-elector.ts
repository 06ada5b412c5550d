/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection (client-node
 * has none). Every candidate tries to acquire or renew every `retryPeriod`; optimistic concurrency
 * (replace with the read resourceVersion) makes one of them win. A Lease held by another counts as
 * expired `leaseDuration` after this candidate last SAW it change (local clock only — never
 * comparing clocks across machines). A leader that cannot renew within `renewDeadline` (shorter than
 * the lease) steps down before anyone else may take over. `release` empties holderIdentity so a
 * peer takes over at its next retry instead of waiting out the lease.
 */
import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { withTimeout } from "./request-options.js";

/** Lease name, identity, timing and callbacks. */
export interface LeaseElectorOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  /** Called when this candidate becomes leader. */
  onStartedLeading: () => void;
  /** Called when it stops being leader (lost the Lease or could not renew in time). */
  onStoppedLeading: () => void;
  /** Called with failures of individual attempts (they are retried). */
  onError?: (error: unknown) => void;
}

/** One candidate in the election; `start` it, `stop` it on shutdown. */
export class LeaseElector {
  private readonly api: CoordinationV1Api;
  private leading = false;
  private stopped = true;
  private lastRenew = 0;
  private observed: { record: string; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(kubeConfig: KubeConfig, private readonly options: LeaseElectorOptions) {
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
  }

  /** Whether this candidate currently holds the Lease. */
  isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning (and renewing once leader). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  /** Stops campaigning; a leader releases the Lease. Never throws. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.loop;
    if (!this.leading) return;
    this.leading = false;
    await this.release().catch((error: unknown) => this.options.onError?.(error));
    this.options.onStoppedLeading();
  }

  private tick(): void {
    this.loop = this.attempt().finally(() => {
      if (this.stopped) return;
      // client-go jitters a follower's retries (factor 1.2) so candidates do not collide in lockstep.
      const jitter = this.leading ? 1 : 1 + Math.random() * 0.2;
      this.timer = setTimeout(() => this.tick(), this.options.retryPeriodSeconds * 1000 * jitter);
      this.timer.unref();
    });
  }

  private async attempt(): Promise<void> {
    let acquired = false;
    try {
      acquired = await this.tryAcquireOrRenew();
    } catch (error) {
      this.options.onError?.(error);
    }
    if (this.stopped) return;
    const now = Date.now();
    if (acquired) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        this.options.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenew > this.options.renewDeadlineSeconds * 1000) {
      this.leading = false;
      this.options.onStoppedLeading();
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const lease = await this.read();
    if (!lease) return this.write(() => this.api.createNamespacedLease({ namespace, body: this.leaseFor(undefined) }, this.timeout()));
    const holder = lease.spec?.holderIdentity ?? "";
    if (holder !== identity && holder !== "" && !this.expired(lease)) return false;
    const body = this.leaseFor(lease);
    return this.write(() => this.api.replaceNamespacedLease({ namespace, name, body }, this.timeout()));
  }

  private expired(lease: V1Lease): boolean {
    const record = JSON.stringify([lease.spec?.holderIdentity, String(lease.spec?.renewTime), lease.metadata?.resourceVersion]);
    const now = Date.now();
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const duration = (lease.spec?.leaseDurationSeconds ?? this.options.leaseDurationSeconds) * 1000;
    return now > this.observed.at + duration;
  }

  private leaseFor(current: V1Lease | undefined): V1Lease {
    const { namespace, name, identity, leaseDurationSeconds } = this.options;
    const now = new V1MicroTime(Date.now());
    const renewing = current?.spec?.holderIdentity === identity;
    const transitions = current?.spec?.leaseTransitions ?? 0;
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { namespace, name, resourceVersion: current?.metadata?.resourceVersion },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: renewing && current?.spec?.acquireTime ? new V1MicroTime(current.spec.acquireTime) : now,
        renewTime: now,
        leaseTransitions: current && !renewing ? transitions + 1 : transitions,
      },
    };
  }

  private async release(): Promise<void> {
    const lease = await this.read();
    if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;
    const now = new V1MicroTime(Date.now());
    const body: V1Lease = { ...lease, spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: now, acquireTime: now } };
    await this.api.replaceNamespacedLease({ namespace: this.options.namespace, name: this.options.name, body }, this.timeout());
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ namespace: this.options.namespace, name: this.options.name }, this.timeout());
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  /** Runs a create/replace; a 409 (someone else wrote first) is a lost round, not an error. */
  private async write(request: () => Promise<V1Lease>): Promise<boolean> {
    try {
      await request();
      return true;
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return false;
      throw error;
    }
  }

  private timeout() {
    // One request may use most of the renew deadline (a loaded apiserver is slow, not gone), but
    // must end within it: a hung request must not keep a stale leader past the deadline.
    return withTimeout(Math.max(1000, this.options.renewDeadlineSeconds * 750));
  }
}
