/**
 * Which status fields the controller owns, in a normal form: undefined values, empty strings,
 * empty lists and empty objects removed — exactly what survives a server-side apply round trip
 * (the SSA client drops empty strings, see k8s/networkhealth-client.ts) — so "changed" means changed.
 */
import type { NetworkHealthStatus } from "../api/index.js";
import { isPlainRecord } from "./plain-record.js";

/** Status fields written by the controller (field manager netmedic-controller). */
export const CONTROLLER_STATUS_FIELDS = ["observedGeneration", "conditions", "diagnosis", "remediation", "history"] as const;

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize).filter((item) => item !== undefined);
    return items.length ? items : undefined;
  }
  if (isPlainRecord(value)) {
    const entries = Object.entries(value)
      .map(([key, item]) => [key, normalize(item)] as const)
      .filter(([, item]) => item !== undefined && item !== "");
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value;
}

/** Whether `value` normalizes to nothing: undefined, or lists and objects of nothing but empties. */
function vanishes(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.every(vanishes);
  if (isPlainRecord(value)) return Object.values(value).every((item) => item === "" || vanishes(item));
  return false;
}

/**
 * Whether normalize(a) and normalize(b) are deep-equal, decided without building either: this runs
 * on every reconcile of every node, and copying, key-sorting and stringifying both statuses was the
 * largest piece of the controller's own CPU after the API client.
 */
function sameNormalized(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    const left = a.filter((item) => !vanishes(item));
    const right = b.filter((item) => !vanishes(item));
    return left.length === right.length && left.every((item, i) => sameNormalized(item, right[i]));
  }
  if (isPlainRecord(a) && isPlainRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const [left, right] = [a[key], b[key]];
      const leftGone = left === "" || vanishes(left);
      if (leftGone !== (right === "" || vanishes(right))) return false;
      if (!leftGone && !sameNormalized(left, right)) return false;
    }
    return true;
  }
  return vanishes(a) && vanishes(b);
}

function pickControllerFields(status: NetworkHealthStatus | undefined): Record<string, unknown> {
  return Object.fromEntries(CONTROLLER_STATUS_FIELDS.map((field) => [field, status?.[field]]));
}

/** The controller-owned fields of a status, normalized. */
export function controllerStatusOf(status: NetworkHealthStatus | undefined): NetworkHealthStatus {
  return (normalize(pickControllerFields(status)) ?? {}) as NetworkHealthStatus;
}

/** Whether the stored status already holds exactly `desired` in the controller-owned fields (both compared in normal form). */
export function sameControllerStatus(stored: NetworkHealthStatus | undefined, desired: NetworkHealthStatus): boolean {
  return sameNormalized(pickControllerFields(stored), pickControllerFields(desired));
}
