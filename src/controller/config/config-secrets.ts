/**
 * Refuses configs that carry credentials. The config lives in a ConfigMap that many can read and
 * that lands in logs and support bundles; netmedic never needs a secret there (the agent reads
 * tokens, if ever, from the node). A finding names the path and the kind of secret, never the value.
 */
import { isPlainRecord } from "../../core/plain-record.js";

const SECRET_KEY = /token|passw(or)?d|secret|credential|api[-_]?key|private[-_]?key|bearer|client[-_]?key/i;

const SECRET_VALUES: Array<[RegExp, string]> = [
  [/K10[0-9a-f]{16,}/i, "a k3s/RKE2 join token (K10…)"],
  [/eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*/, "a JSON Web Token"],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a PEM private key"],
  [/\b(K3S|RKE2)_TOKEN\s*=/, "a K3S_TOKEN/RKE2_TOKEN assignment"],
];

/** Paths in `value` whose key or string value looks like a secret, each with what it looks like. */
export function findSecrets(value: unknown, path = ""): string[] {
  if (typeof value === "string") {
    const match = SECRET_VALUES.find(([pattern]) => pattern.test(value));
    return match ? [`${path || "config"}: value looks like ${match[1]}`] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => findSecrets(item, `${path}[${index}]`));
  if (!isPlainRecord(value)) return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const itemPath = path ? `${path}.${key}` : key;
    const byKey = SECRET_KEY.test(key) ? [`${itemPath}: a key named ${JSON.stringify(key)} looks like a credential`] : [];
    return [...byKey, ...findSecrets(item, itemPath)];
  });
}
