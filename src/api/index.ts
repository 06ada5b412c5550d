/** The netmedic API: generated resource types (from api/networkhealth.schema.yaml) and the contract's constants. */
export * from "./generated/networkhealth.js";
export * from "./generated/host-facts.js";
export * from "./generated/limits.js";
export * from "./constants.js";
export type { ProbeTargets } from "./probe-targets.js";
export type { ObjectMeta, OwnerReference } from "./object-meta.js";
