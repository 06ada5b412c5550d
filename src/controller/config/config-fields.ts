/**
 * Small validators for the controller config: each reads one value at a dotted path, records a
 * problem as "path: what is wrong (what is allowed)" and returns the value or the default. Unknown
 * keys are problems too, so a typo (`maxConcurent`) fails loudly instead of silently defaulting.
 */

import { isPlainRecord } from "../../core/plain-record.js";

/** Collects the problems of one validation pass. */
export type Problems = string[];

/** Reads one field: `value` is undefined when the key is absent. */
export type FieldReader<T> = (value: unknown, path: string, problems: Problems) => T;

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}


/** An integer in [min, max], `fallback` when absent. */
export function integer(fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): FieldReader<number> {
  return (value, path, problems) => {
    if (value === undefined) return fallback;
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
    problems.push(`${path}: must be an integer from ${min} to ${max} (got ${show(value)})`);
    return fallback;
  };
}

/** One of the listed strings, `fallback` when absent. */
export function oneOf<T extends string>(fallback: T, allowed: readonly T[]): FieldReader<T> {
  return (value, path, problems) => {
    if (value === undefined) return fallback;
    if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`${path}: must be one of ${allowed.join(", ")} (got ${show(value)})`);
    return fallback;
  };
}

/** A string matching `pattern` (described by `what`), `fallback` when absent. */
export function matching<T extends string | undefined>(fallback: T, pattern: RegExp, what: string): FieldReader<string | T> {
  return (value, path, problems) => {
    if (value === undefined) return fallback;
    if (typeof value === "string" && pattern.test(value)) return value;
    problems.push(`${path}: must be ${what} (got ${show(value)})`);
    return fallback;
  };
}

/** A mapping of string keys to values each read by `item`; `{}` when absent. */
export function mapOf<T>(item: FieldReader<T | undefined>, keyPattern?: { pattern: RegExp; what: string }): FieldReader<Record<string, T>> {
  return (value, path, problems) => {
    if (value === undefined || value === null) return {};
    if (!isPlainRecord(value)) {
      problems.push(`${path}: must be a mapping (got ${show(value)})`);
      return {};
    }
    const result: Record<string, T> = {};
    for (const [key, entry] of Object.entries(value)) {
      if (keyPattern && !keyPattern.pattern.test(key)) {
        problems.push(`${path}: key ${show(key)} is not allowed (allowed: ${keyPattern.what})`);
        continue;
      }
      const read = item(entry, `${path}.${key}`, problems);
      if (read !== undefined) result[key] = read;
    }
    return result;
  };
}

/** A list of items each read by `item`; `fallback` when absent. */
export function listOf<T>(fallback: T[], item: FieldReader<T | undefined>): FieldReader<T[]> {
  return (value, path, problems) => {
    if (value === undefined) return fallback;
    if (!Array.isArray(value)) {
      problems.push(`${path}: must be a list (got ${show(value)})`);
      return fallback;
    }
    return value.flatMap((entry, index) => {
      const read = item(entry, `${path}[${index}]`, problems);
      return read === undefined ? [] : [read];
    });
  };
}

/** The readers of a mapping's known keys. */
export type Shape<T> = { [K in keyof T]-?: FieldReader<T[K]> };

/**
 * A mapping with exactly the keys of `shape` (each optional): unknown keys are problems that list
 * the allowed ones. Absent or null → every field's default.
 */
export function mapping<T>(shape: Shape<T>): FieldReader<T> {
  return (value, path, problems) => {
    const source = value === undefined || value === null ? {} : value;
    if (!isPlainRecord(source)) {
      problems.push(`${path || "config"}: must be a mapping (got ${show(value)})`);
      return mapping(shape)(undefined, path, problems);
    }
    const allowed = Object.keys(shape);
    for (const key of Object.keys(source)) {
      if (!allowed.includes(key)) problems.push(`${join(path, key)}: unknown key (allowed: ${allowed.join(", ")})`);
    }
    const result = {} as T;
    for (const key of allowed as Array<keyof T & string>) {
      result[key] = shape[key](source[key], join(path, key), problems);
    }
    return result;
  };
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
