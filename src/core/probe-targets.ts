/**
 * The probe targets' annotation form (`netmedic.io/probe-targets`): the controller writes it, the
 * agent reads it. Encoding is canonical (fixed key order, empty parts left out) so that equal
 * targets are equal strings and an unchanged node never rewrites its annotation.
 */
import type { NetworkHealth, ProbeTargets } from "../api/index.js";
import { PROBE_TARGETS_ANNOTATION } from "../api/index.js";

/** `targets` with keys in a fixed order; empty lists and an absent endpoint left out. */
function canonical(targets: ProbeTargets): ProbeTargets {
  return {
    ...(targets.konnectivity?.length ? { konnectivity: targets.konnectivity } : {}),
    ...(targets.apiServers?.length ? { apiServers: targets.apiServers } : {}),
    ...(targets.probeEndpoint ? { probeEndpoint: targets.probeEndpoint } : {}),
  };
}

/** The annotation value for `targets`: their canonical form as JSON. */
export function encodeProbeTargets(targets: ProbeTargets): string {
  return JSON.stringify(canonical(targets));
}

/** The result of reading the annotation: the targets, or why the value was refused. */
export type DecodedProbeTargets = { targets: ProbeTargets; error?: undefined } | { targets?: undefined; error: string };

function stringList(value: unknown, key: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) throw new TypeError(`${key} must be a list of strings`);
  return value;
}

/**
 * Parses an annotation value. Absent → empty targets (nothing to probe yet). Anything that is not
 * an object of the expected shape is refused as a whole, with the reason; each address is still
 * validated where it is dialed or used (dial/target.ts, the actions).
 */
export function decodeProbeTargets(value: string | undefined): DecodedProbeTargets {
  if (value === undefined) return { targets: {} };
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new TypeError("not a JSON object");
    const record = parsed as Record<string, unknown>;
    const unknownKeys = Object.keys(record).filter((key) => !["konnectivity", "apiServers", "probeEndpoint"].includes(key));
    if (unknownKeys.length) throw new TypeError(`unknown keys ${unknownKeys.join(", ")}`);
    if (record.probeEndpoint !== undefined && typeof record.probeEndpoint !== "string") throw new TypeError("probeEndpoint must be a string");
    const konnectivity = stringList(record.konnectivity, "konnectivity");
    const apiServers = stringList(record.apiServers, "apiServers");
    return { targets: canonical({ konnectivity, apiServers, probeEndpoint: record.probeEndpoint as string | undefined }) };
  } catch (error) {
    return { error: `annotation ${PROBE_TARGETS_ANNOTATION} refused: ${(error as Error).message}` };
  }
}

/** The annotation value stored on a NetworkHealth (undefined when it has none). */
export function storedProbeTargets(health: NetworkHealth | undefined): string | undefined {
  return health?.metadata.annotations?.[PROBE_TARGETS_ANNOTATION];
}
