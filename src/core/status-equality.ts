/**
 * Which status fields the controller owns, in a normal form: undefined values, empty strings,
 * empty lists and empty objects removed — exactly what survives a server-side apply round trip
 * (the SSA client drops empty strings, see k8s/networkhealth-client.ts) — so "changed" means changed.
 */
import type { NetworkHealthStatus } from "../api/index.js";

/** Status fields written by the controller (field manager netmedic-controller). */
export const CONTROLLER_STATUS_FIELDS = ["observedGeneration", "conditions", "diagnosis", "targets", "remediation", "history"] as const;

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize).filter((item) => item !== undefined);
    return items.length ? items : undefined;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => [key, normalize(item)] as const)
      .filter(([, item]) => item !== undefined && item !== "")
      .sort(([a], [b]) => a.localeCompare(b));
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value;
}

/** The controller-owned fields of a status, normalized. */
export function controllerStatusOf(status: NetworkHealthStatus | undefined): NetworkHealthStatus {
  const picked = Object.fromEntries(CONTROLLER_STATUS_FIELDS.map((field) => [field, status?.[field]]));
  return (normalize(picked) ?? {}) as NetworkHealthStatus;
}

/** Whether the stored status already holds exactly `desired` in the controller-owned fields. */
export function sameControllerStatus(stored: NetworkHealthStatus | undefined, desired: NetworkHealthStatus): boolean {
  return JSON.stringify(controllerStatusOf(stored)) === JSON.stringify(controllerStatusOf(desired));
}
