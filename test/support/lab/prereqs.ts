// What the node lab needs on this machine. Missing prerequisites fail the run, never skip it.
import { accessSync, constants, readFileSync } from "node:fs";
import { join } from "node:path";
import { labEnv } from "./run.js";

/** Commands the lab runs (iproute2, util-linux, mount, procps, firewalld, dbus, nftables, ethtool, iptables, conntrack). */
export const REQUIRED_COMMANDS = [
  "nsenter", "unshare", "setpriv", "mount", "findmnt", "hostname", "ip", "sysctl",
  "firewalld", "firewall-cmd", "nft", "dbus-daemon", "ethtool",
  "iptables-legacy", "iptables-nft", "iptables-legacy-save", "iptables-nft-save", "conntrack",
] as const;

/** The one line a developer sees when the lab cannot run here. */
export const PREREQ_MESSAGE = "node lab needs root and `npm run lab:install`";

/** Names of what is missing: "root", commands, "overlayfs"; empty when the lab can start. */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root");
  const dirs = (labEnv().PATH ?? "").split(":").filter(Boolean);
  for (const cmd of REQUIRED_COMMANDS) {
    const found = dirs.some((d) => {
      try {
        accessSync(join(d, cmd), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (!found) missing.push(cmd);
  }
  try {
    if (!/\toverlay\n/.test(readFileSync("/proc/filesystems", "utf8"))) missing.push("overlayfs");
  } catch {
    missing.push("overlayfs");
  }
  return missing;
}

/**
 * Throws unless the lab can start. Under CI=true the error names everything missing so the failing
 * run says what to install; elsewhere it is one clear line. Never a skip: a lab test that cannot run
 * has not passed.
 */
export function checkPrerequisites(): void {
  const missing = missingPrerequisites();
  if (missing.length === 0) return;
  if (process.env.CI === "true") {
    throw new Error(`${PREREQ_MESSAGE}: CI is missing ${missing.join(", ")} (run \`npm run lab:install\` as root before the tests)`);
  }
  throw new Error(`${PREREQ_MESSAGE} (missing: ${missing.join(", ")})`);
}
