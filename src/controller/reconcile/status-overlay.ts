/**
 * What this controller last wrote, laid over the NetworkHealth informer cache until the watch
 * catches up. Without it, the reconcile right after a write (often of another node) would still see
 * the old object: a just-created NetworkHealth would be created again, and an order just approved
 * would not count against maxConcurrent, so two nodes could be ordered at once.
 *
 * The cache has caught up once it holds a resourceVersion at least as new as the written one.
 * resourceVersions are opaque by contract but are etcd revisions in practice; client-go's
 * MutationCache compares them as integers the same way. Non-numeric ones fall back to equality,
 * with an age limit so an overlay can never outlive the watch for good.
 */
import type { NetworkHealth } from "../../api/index.js";
import { trimForCache } from "../../k8s/cache-trim.js";

const NON_NUMERIC_MAX_AGE_MS = 60_000;

interface Entry {
  object: NetworkHealth;
  at: number;
  /** A decision whose write is still in flight, with what it replaced (restored if the write fails). */
  staged?: { previous: Entry | undefined };
}

/** The latest written (or being written) NetworkHealth per name, until the informer has it. */
export class NetworkHealthOverlay {
  private readonly written = new Map<string, Entry>();

  /**
   * Records the object an API write returned, trimmed as the informer cache trims it: while 5,000
   * nodes converge, thousands of written objects wait here for the watch, and their managedFields
   * (one entry per field manager) were a tenth of the controller's heap.
   */
  remember(object: NetworkHealth): void {
    const name = object.metadata.name;
    if (name) this.written.set(name, { object: trimForCache(object), at: Date.now() });
  }

  /**
   * Lays a status about to be written over the cache at once, before the write is awaited, so
   * reconciles of other nodes running meanwhile count the decision (an order) it carries.
   */
  stage(object: NetworkHealth): void {
    const name = object.metadata.name;
    if (name) this.written.set(name, { object, at: Date.now(), staged: { previous: this.written.get(name) } });
  }

  /** Takes back a staged object whose write failed: what was there before stands again. */
  unstage(object: NetworkHealth): void {
    const name = object.metadata.name ?? "";
    const entry = this.written.get(name);
    if (entry?.object !== object || !entry.staged) return;
    if (entry.staged.previous) this.written.set(name, entry.staged.previous);
    else this.written.delete(name);
  }

  /** The freshest view of `name`: the written object while the cache lags, else the cached one. */
  resolve(name: string, cached: NetworkHealth | undefined): NetworkHealth | undefined {
    const entry = this.written.get(name);
    if (!entry) return cached;
    if (entry.staged) return entry.object;
    if (cached && caughtUp(cached, entry.object, entry.at)) {
      this.written.delete(name);
      return cached;
    }
    return entry.object;
  }

  /** Merges a cache listing with the overlay (written objects the cache has not seen yet included). */
  merge(cached: readonly NetworkHealth[]): NetworkHealth[] {
    const byName = new Map(cached.map((object) => [object.metadata.name ?? "", object] as const));
    const names = new Set([...byName.keys(), ...this.written.keys()]);
    names.delete("");
    return [...names].flatMap((name) => {
      const resolved = this.resolve(name, byName.get(name));
      return resolved ? [resolved] : [];
    });
  }

  /** Drops the overlay of a deleted object (same uid): the watch saw it go. */
  forgetDeleted(object: NetworkHealth): void {
    const name = object.metadata.name ?? "";
    const entry = this.written.get(name);
    if (entry && (!object.metadata.uid || entry.object.metadata.uid === object.metadata.uid)) this.written.delete(name);
  }

  /** Drops `name` (its Node is gone). */
  forget(name: string): void {
    this.written.delete(name);
  }

  /** How many written objects the cache has not caught up with. */
  get size(): number {
    return this.written.size;
  }
}

function caughtUp(cached: NetworkHealth, written: NetworkHealth, writtenAt: number): boolean {
  const have = cached.metadata.resourceVersion ?? "";
  const wrote = written.metadata.resourceVersion ?? "";
  if (/^\d+$/.test(have) && /^\d+$/.test(wrote)) return BigInt(have) >= BigInt(wrote);
  return have === wrote || Date.now() - writtenAt > NON_NUMERIC_MAX_AGE_MS;
}
