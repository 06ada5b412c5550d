/**
 * A field path (`[status, conditions]`, as kube-state-metrics' config writes it) resolved in a CRD
 * version's OpenAPI v3 schema: object properties by name, array elements through `items`, and
 * `metadata` as the ObjectMeta every object has (the CRD schema does not spell it out).
 */

/** The parts of an OpenAPI v3 schema node that paths walk. */
export interface SchemaNode {
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

/** ObjectMeta's fields a metric can read. */
const OBJECT_META: SchemaNode = {
  type: "object",
  properties: {
    name: { type: "string" }, namespace: { type: "string" }, uid: { type: "string" }, generation: { type: "integer" },
    creationTimestamp: { type: "string", format: "date-time" },
    labels: { type: "object" }, annotations: { type: "object" },
  },
};

/**
 * The schema node at `path` under `node`, or a description of where the path leaves the schema.
 * Arrays are stepped into (KSM makes one series per element), so `[status, conditions]` ends on
 * a condition's object schema.
 */
export function resolvePath(node: SchemaNode, path: string[]): SchemaNode | string {
  let current: SchemaNode = node;
  const walked: string[] = [];
  for (const key of path) {
    if (current.type === "array" && current.items) current = current.items;
    const next: SchemaNode | undefined = walked.length === 0 && key === "metadata" ? OBJECT_META : current.properties?.[key];
    if (!next) return `${[...walked, key].join(".")} is not in the schema`;
    walked.push(key);
    current = next;
  }
  return current.type === "array" && current.items ? current.items : current;
}

/** Whether KSM can turn the field into a number: numbers, booleans, condition statuses, timestamps. */
export function isNumericForKsm(node: SchemaNode): boolean {
  if (node.type === "integer" || node.type === "number" || node.type === "boolean") return true;
  if (node.type !== "string") return false;
  if (node.format === "date-time") return true;
  return Array.isArray(node.enum) && node.enum.every((v) => ["True", "False", "Unknown"].includes(String(v)));
}

/** Whether a label can hold the field: a scalar. */
export function isScalar(node: SchemaNode): boolean {
  return ["string", "integer", "number", "boolean"].includes(node.type ?? "");
}
