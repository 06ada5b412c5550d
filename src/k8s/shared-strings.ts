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
 * Replaces each string inside `value`'s arrays and objects by its shared equal (sharedString) and
 * returns `value`. Every field still reads equal, so no reader can tell; frozen objects are
 * left as they are. In place rather than copied: a copy built field by field needs V8's
 * out-of-object property storage, which cost more (+4 MB at 5,000 nodes) than JSON.parse's layout.
 */
export function shareStrings<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const field = fields[key];
    if (typeof field === "string") fields[key] = sharedString(field);
    else if (field !== null && typeof field === "object") shareStrings(field);
  }
  return value;
}
