/**
 * The one plain-object check, for code that reads untyped data (parsed YAML or JSON, API objects):
 * status normalization in the core, the controller's config validation, the agent's kubeconfig
 * reader. Lives in the core so the agent can use it without loading the Kubernetes client.
 */

/** Whether `value` is a plain record of fields: an object, not null, not an array. */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
