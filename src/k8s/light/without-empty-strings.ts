/**
 * A copy of `value` without empty-string fields or array items, recursively. Server-side apply on
 * kube-apiserver 1.20 turns "" into null and then rejects the whole object (422 "must be of type
 * string"), so an absent field is the only safe way to say "empty" — for every writer (e.g.
 * podInterfaceZone: no zone). A module of its own so the agent shares it without importing
 * @kubernetes/client-node.
 */
export function withoutEmptyStrings<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((item) => item !== "").map((item) => withoutEmptyStrings(item)) as T;
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== "");
  return Object.fromEntries(entries.map(([key, item]) => [key, withoutEmptyStrings(item)])) as T;
}
