/**
 * Classifying a dial outcome into the stable result strings of ProbeResult.result: `ok` or the
 * errno code. The diagnosis depends on these exact strings (docs/architecture.md §8.3: firewalld's
 * reject is EHOSTUNREACH, ip_forward=0 is ETIMEDOUT, the iptables backend's reject is ECONNREFUSED).
 */

/** The probe pod could not be asked (not deployed, not answering, or refused the request). */
export const PROBE_UNAVAILABLE = "EPROBEUNAVAILABLE";

const ERRNO_CODE = /^E[A-Z0-9_]{2,30}$/;

/**
 * The result string for an error from `net`/`tls`/`http`: its errno code when it has one
 * (EHOSTUNREACH, ETIMEDOUT, …), `EAI_AGAIN`/`ENOTFOUND` for name resolution, TLS failures as
 * `ETLS`, and `EUNKNOWN` for anything without a usable code. Never the message: messages vary by
 * platform and may echo input.
 */
export function classifyDialError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    // Node's own codes (ERR_SSL_…, ERR_TLS_…) also start with E: recognise them first.
    if (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_") || code.includes("CERT")) return "ETLS";
    if (code.startsWith("ERR_")) return "EUNKNOWN";
    if (ERRNO_CODE.test(code)) return code;
  }
  return "EUNKNOWN";
}

/** Whether a result string is well-formed (`ok` or an errno-like code). */
export function isDialResult(value: unknown): value is string {
  return typeof value === "string" && (value === "ok" || ERRNO_CODE.test(value));
}
