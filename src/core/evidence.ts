/**
 * Reading evidence out of real-world text: konnectivity-agent klog lines, APIService condition
 * messages, k3s/RKE2 node-args annotations, probe error codes. Pure string work, table-tested.
 */

/** How a TCP dial ended, as the product classifies it everywhere. */
export type DialOutcome = "ok" | "EHOSTUNREACH" | "ETIMEDOUT" | "ECONNREFUSED" | "ENETUNREACH" | "other";

/** What one konnectivity-agent log line says about the connection to its server. */
export interface KonnectivityLogEvidence {
  outcome: DialOutcome;
  /** host:port from the "dial tcp" text, when present. */
  target?: string;
  line: string;
}

const DIAL_ERROR = /dial tcp ([^\s:"\\]+|\[[^\]]+\]):(\d+): (?:connect: )?([a-z :/]+?)(?:\\"|"|$)/;
const DIAL_ERROR_TEXT: Array<[RegExp, DialOutcome]> = [
  [/no route to host/, "EHOSTUNREACH"],
  [/connection refused/, "ECONNREFUSED"],
  [/network is unreachable/, "ENETUNREACH"],
  [/i\/o timeout|connection timed out|timeout/, "ETIMEDOUT"],
];
const CONNECTED = /"(Connect to server|Start serving)"/;

/** Classifies one klog line of a konnectivity agent; `undefined` when it says nothing about the dial. */
export function readKonnectivityLogLine(line: string): KonnectivityLogEvidence | undefined {
  if (CONNECTED.test(line)) return { outcome: "ok", line };
  const match = DIAL_ERROR.exec(line);
  if (!match) return undefined;
  const [, host, port, text = ""] = match;
  const outcome = DIAL_ERROR_TEXT.find(([pattern]) => pattern.test(text))?.[1] ?? "other";
  return { outcome, target: `${host}:${port}`, line };
}

/**
 * A log line without its CRI prefix and klog header ("2025-… stderr F E0505 16:48:03.213218 1 "):
 * the same error repeated must quote identically, or every log refresh would rewrite the status.
 */
export function logMessageOf(line: string): string {
  return line
    .replace(/^\S+ (?:stdout|stderr) [FP] /, "")
    .replace(/^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ /, "");
}

/** The newest line (last in the list) that says something about the agent's dial. */
export function latestKonnectivityEvidence(lines: readonly string[]): KonnectivityLogEvidence | undefined {
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const evidence = readKonnectivityLogLine(lines[index] ?? "");
    if (evidence) return evidence;
  }
  return undefined;
}

/** Why an aggregated APIService is unavailable, as far as its condition tells. */
export type APIServiceFailure = "NoAgentAvailable" | "MissingEndpoints" | "ServiceNotFound" | "Timeout" | "Other";

/** Classifies an unavailable APIService's condition reason and message. */
export function classifyAPIServiceFailure(reason: string | undefined, message: string | undefined): APIServiceFailure {
  const text = message ?? "";
  if (/No agent available/i.test(text)) return "NoAgentAvailable";
  // v1.20's aggregator: a Service without an Endpoints object is EndpointsNotFound, "cannot find endpoints for service/NAME in "NS"".
  if (reason === "MissingEndpoints" || reason === "EndpointsNotFound" || /endpoints? for service .* (not found|have no addresses)/i.test(text)) {
    return "MissingEndpoints";
  }
  if (reason === "ServiceNotFound" || /service .* not found/i.test(text)) return "ServiceNotFound";
  if (/context deadline exceeded|Client\.Timeout|i\/o timeout|timed out|timeout/i.test(text)) return "Timeout";
  return "Other";
}

/**
 * The `--server`/`server` URL in a k3s.io/node-args (or rke2.io/node-args) annotation: a JSON array
 * of launch args, e.g. ["agent","--server","https://10.0.0.5:6443","--token","********"].
 * `undefined` when absent or unparsable.
 */
export function serverFromNodeArgs(annotation: string | undefined): string | undefined {
  return nodeArgValue(annotation, ["--server", "-s"]);
}

/**
 * The value of a flag (any of `names`, as `--flag value` or `--flag=value`) in a k3s/RKE2
 * node-args annotation; `undefined` when absent or unparsable.
 */
export function nodeArgValue(annotation: string | undefined, names: readonly string[]): string | undefined {
  if (!annotation) return undefined;
  let args: unknown;
  try {
    args = JSON.parse(annotation);
  } catch {
    return undefined;
  }
  if (!Array.isArray(args)) return undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = String(args[index]);
    if (names.includes(arg)) return stringOrUndefined(args[index + 1]);
    const joined = names.find((name) => name.startsWith("--") && arg.startsWith(`${name}=`));
    if (joined) return arg.slice(joined.length + 1);
  }
  return undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The host part of a server URL or host:port ("https://10.0.0.5:6443" → "10.0.0.5"). */
export function hostOf(serverOrAddress: string): string | undefined {
  const withScheme = /^[a-z]+:\/\//i.test(serverOrAddress) ? serverOrAddress : `tcp://${serverOrAddress}`;
  try {
    const host = new URL(withScheme).hostname;
    return host.replace(/^\[|\]$/g, "") || undefined;
  } catch {
    return undefined;
  }
}
