/**
 * The one flag convention of every netmedic entry point (cli, controller, agent, probe): each parses
 * argv with node:util parseArgs (so `--flag value` and `--flag=value` both work) and its values
 * with these functions. Durations are Go-style strings (`15s`, `5m`, `1m30s`, `500ms`), as the
 * kubelet's and kube-controller-manager's flags are; counts are plain integers. A bad flag is a
 * UsageError whose message names the flag, the bad value and the expected form; every entry point
 * prints it as one line and exits 2. Pure, so every layer may import it.
 */

/** A bad command line; the message is the one line the user sees (no stack trace), the exit code is 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The UsageError for a flag whose value is not of the expected form. */
export function invalidFlag(flag: string, value: string, expected: string): UsageError {
  return new UsageError(`--${flag}: expected ${expected} (got "${value}")`);
}

/**
 * `error` as a UsageError when it is one — a UsageError, or node:util parseArgs' own refusal of an
 * unknown flag, a missing value or a stray argument (codes ERR_PARSE_ARGS_*); undefined otherwise.
 */
export function asUsageError(error: unknown): UsageError | undefined {
  if (error instanceof UsageError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS") ? new UsageError((error as Error).message) : undefined;
}

/** pino's levels, the values of every entry point's --log-level. */
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** The --log-level flag's value (default info); a UsageError unless it is one of pino's levels. */
export function logLevelFlag(value: string | undefined): string {
  const level = value ?? "info";
  if (!LOG_LEVELS.includes(level)) throw invalidFlag("log-level", level, `one of ${LOG_LEVELS.join(", ")}`);
  return level;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Bounds of a duration flag, in milliseconds. */
export interface DurationBounds {
  minMs?: number;
  maxMs?: number;
}

function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Milliseconds of the Go-style duration `value` of `--flag` (`500ms`, `10s`, `1m30s`, `1.5h`; units
 * ms, s, m, h), rounded to whole milliseconds. Throws a UsageError for anything else — a bare number
 * too, since its unit would be a guess — or a value outside `bounds`.
 */
export function parseDuration(flag: string, value: string, bounds: DurationBounds = {}): number {
  if (!DURATION.test(value)) throw invalidFlag(flag, value, "a duration such as 10s, 1m30s or 500ms");
  let ms = 0;
  for (const [, amount, unit] of value.matchAll(DURATION_PART)) ms += Number(amount) * (UNIT_MS[unit ?? ""] ?? 0);
  ms = Math.round(ms);
  const { minMs = 1, maxMs } = bounds;
  if (ms < minMs) throw invalidFlag(flag, value, `a duration of at least ${durationText(minMs)}`);
  if (maxMs !== undefined && ms > maxMs) throw invalidFlag(flag, value, `a duration of at most ${durationText(maxMs)}`);
  return ms;
}

/** The duration flag's value in milliseconds, or `fallback` (a duration string, as a user would write it) when absent. */
export function durationFlag(flag: string, value: string | undefined, fallback: string, bounds?: DurationBounds): number {
  return parseDuration(flag, value ?? fallback, bounds);
}

/** The integer flag's value, `fallback` when absent; a UsageError unless it is a whole number in [min, max]. */
export function integerFlag(flag: string, value: string | undefined, fallback: number, range: { min: number; max: number }): number {
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(parsed >= range.min && parsed <= range.max)) throw invalidFlag(flag, value, `an integer from ${range.min} to ${range.max}`);
  return parsed;
}

/**
 * The flag's value as `check` accepts it (`check` throws on a bad one), undefined when absent; a bad
 * value is a UsageError naming `expected`.
 */
export function checkedFlag<T>(flag: string, value: string | undefined, expected: string, check: (value: string) => T): T | undefined {
  if (value === undefined) return undefined;
  try {
    return check(value);
  } catch {
    throw invalidFlag(flag, value, expected);
  }
}
