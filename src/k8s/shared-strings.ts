/**
 * Equal strings in the controller's caches, stored once. JSON.parse gives every string value its
 * own copy, so at 5,000 nodes the caches held 5,000 copies each of "kube-system", condition reasons
 * and messages, container args and the like: 14 MB of a 97 MB live heap (bench/RESULTS.md).
 * V8 keeps one copy of each string used as a property name, in its string table, and drops the
 * entries nothing references any more; a string's property-name copy is therefore the shared one,
 * with no table of ours that could grow with unique values such as timestamps.
 */

// Null prototype: "__proto__" is an ordinary property name here, not the prototype setter.
const propertyNames: Record<string, number> = Object.create(null) as Record<string, number>;

/** Returns a string equal to `value`, shared with every other string this returned for that value. */
export function sharedString(value: string): string {
  propertyNames[value] = 0;
  const [shared] = Object.keys(propertyNames);
  delete propertyNames[value];
  return shared ?? value;
}

/**
 * Returns a copy of `value` whose plain objects and arrays are new and whose strings are shared
 * (sharedString); anything else (numbers, Dates, …) is kept as it is. Never mutates `value`.
 */
export function withSharedStrings<T>(value: T): T {
  if (typeof value === "string") return sharedString(value) as T;
  if (Array.isArray(value)) return value.map(withSharedStrings) as T;
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) copy[key] = withSharedStrings(field);
  return copy as T;
}
