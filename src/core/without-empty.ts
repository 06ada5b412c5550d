/**
 * The one way netmedic drops empty values: a copy of `value` without undefined or empty-string
 * fields and array items, recursively. Server-side apply on kube-apiserver 1.20 turns "" into null
 * and then rejects the whole object (422 "must be of type string"), so an absent field is the only
 * safe way to say "empty" — for every writer (e.g. podInterfaceZone: no zone) and for what is read
 * into the same shapes (config tolerations, sysctl facts). In the core so the agent shares it
 * without importing @kubernetes/client-node.
 */
export function withoutEmpty<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((item) => item !== "" && item !== undefined).map((item) => withoutEmpty(item)) as T;
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== "" && item !== undefined);
  return Object.fromEntries(entries.map(([key, item]) => [key, withoutEmpty(item)])) as T;
}
