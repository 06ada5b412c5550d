/** The netmedic version the agent reports, read once from the package.json shipped with it. */
import { readFileSync } from "node:fs";

/** package.json's version (two levels up from src/agent or dist/agent), or "unknown". */
export function netmedicVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}
