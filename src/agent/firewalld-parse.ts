/**
 * Pure readers of firewall-cmd's output (firewalld 1.x, as seen on real hosts; docs/architecture.md §8.3):
 * `--state` says `running` (exit 0) or `not running` on stderr (exit 252); `--list-all-zones`
 * prints one block per zone, in either scope (a header like `trusted (active)`).
 */
import type { FirewallFacts } from "../api/index.js";

/** One zone as `--list-all-zones` / `--list-all` shows it. */
export interface ZoneListing {
  name: string;
  target: string;
  interfaces: string[];
  sources: string[];
  services: string[];
  masquerade: boolean;
}

/** firewalld's state from `firewall-cmd --state` (exit 127 from nsenter = program not found). */
export function parseFirewalldState(code: number | null, stdout: string, stderr: string): FirewallFacts["state"] | undefined {
  if (code === 127 && /failed to execute|No such file/i.test(stderr)) return "notInstalled";
  if (code === 0 && stdout.trim() === "running") return "running";
  if (code === 252 || /not running/i.test(stderr) || /not running/i.test(stdout)) return "notRunning";
  return undefined;
}

/** Parses `--list-all-zones` (or one zone's `--list-all`) into zones keyed by name. */
export function parseZoneListings(text: string): Map<string, ZoneListing> {
  const zones = new Map<string, ZoneListing>();
  let current: ZoneListing | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (!/^\s/.test(line)) {
      const name = line.trim().split(/\s+/)[0] ?? "";
      current = { name, target: "default", interfaces: [], sources: [], services: [], masquerade: false };
      zones.set(name, current);
      continue;
    }
    const field = /^\s+([a-z -]+):\s*(.*)$/.exec(line);
    if (!current || !field) continue; // rich-rule continuation lines and the like
    const [, key, value = ""] = field;
    const words = value.trim() ? value.trim().split(/\s+/) : [];
    if (key === "target") current.target = value.trim();
    else if (key === "interfaces") current.interfaces = words;
    else if (key === "sources") current.sources = words;
    else if (key === "services") current.services = words;
    else if (key === "masquerade") current.masquerade = value.trim() === "yes";
  }
  return zones;
}

/** Normalizes a zone target for the facts: `%%REJECT%%` → `REJECT`. */
export function zoneTarget(zone: ZoneListing | undefined): string | undefined {
  return zone?.target.replace(/^%%(.*)%%$/, "$1");
}

/** The zone a given interface is bound to in a listing ("" when none). */
export function zoneOfInterface(zones: Map<string, ZoneListing>, name: string): string {
  return [...zones.values()].find((z) => z.interfaces.includes(name))?.name ?? "";
}

/** The zone a given source (exact CIDR) is bound to in a listing ("" when none). */
export function zoneOfSource(zones: Map<string, ZoneListing>, cidr: string): string {
  return [...zones.values()].find((z) => z.sources.includes(cidr))?.name ?? "";
}

/** Whether a zone lets everything in: the `trusted` zone, or any zone with target ACCEPT. */
export function zoneAccepts(zone: ZoneListing | undefined): boolean {
  return zone !== undefined && (zone.name === "trusted" || zoneTarget(zone) === "ACCEPT");
}

/** Error codes firewall-cmd reports as a warning (exit 0) because the change is already in place. */
const ALREADY = /^(ALREADY_ENABLED|ZONE_ALREADY_SET|NOT_ENABLED|ALREADY_SET)$/;

/**
 * A firewall-cmd change's outcome: applied, already in place, or failed. With several items of one
 * option (`--add-port=a --add-port=b`) firewall-cmd reports an item's error only as a `Warning: CODE`
 * line and still exits 0 ("success") when another item worked — so any warning code other than
 * "already" is a failure, not a success.
 */
export function changeOutcome(code: number | null, stderr: string): "applied" | "already" | "failed" {
  if (code !== 0) return "failed";
  const warnings = [...stderr.matchAll(/^Warning: ([A-Z_]+)\b/gm)].map((m) => m[1] ?? "");
  if (warnings.some((w) => !ALREADY.test(w))) return "failed";
  return warnings.length > 0 ? "already" : "applied";
}

/** What a failed change said: its last stderr line that is not an "already in place" warning, else its exit code. */
export function failureMessage(code: number | null, stderr: string): string {
  const lines = stderr.split("\n").filter((line) => line.trim() && !ALREADY.test(/^Warning: ([A-Z_]+)\b/.exec(line)?.[1] ?? ""));
  return lines.at(-1)?.trim() ?? `exit ${code}`;
}
