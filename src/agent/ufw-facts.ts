/**
 * ufw as the host has it: `ufw status verbose` (is it active, its defaults line), ENABLED in
 * /etc/ufw/ufw.conf, the default policies in /etc/default/ufw and the allow rules ufw recorded in
 * /etc/ufw/user.rules. Every part is read on its own: a file that cannot be read leaves its field
 * out and says why in `errors`; a missing ufw program is `notInstalled`, never an error.
 */
import { MAX_UFW_RULES, type UfwFacts } from "../api/index.js";
import { HostCommandError, type HostExecutor } from "./host-executor.js";
import { readHostFile } from "./host-files.js";

/** ufw's own files (Debian/Ubuntu paths). */
export const UFW_FILES = { conf: "/etc/ufw/ufw.conf", defaults: "/etc/default/ufw", userRules: "/etc/ufw/user.rules" } as const;

/** What `ufw status verbose` says: state and the `Default:` line; undefined when it says something unexpected. */
export function parseUfwStatus(code: number | null, stdout: string, stderr: string): Pick<UfwFacts, "state" | "defaults"> | undefined {
  if (code === 127 && /failed to execute|No such file/i.test(stderr)) return { state: "notInstalled" };
  if (code !== 0) return undefined;
  const status = /^Status: (active|inactive)\s*$/m.exec(stdout)?.[1] as "active" | "inactive" | undefined;
  if (!status) return undefined;
  const defaults = /^Default: (.+?)\s*$/m.exec(stdout)?.[1];
  return { state: status, ...(defaults ? { defaults } : {}) };
}

/** A `KEY=value` or `KEY="value"` setting of a shell-style config file (the last one wins, as when sourced). */
export function shellSetting(text: string, key: string): string | undefined {
  const matches = [...text.matchAll(new RegExp(`^\\s*${key}=(?:"([^"]*)"|'([^']*)'|(\\S*))`, "gm"))];
  const last = matches.at(-1);
  return last ? (last[1] ?? last[2] ?? last[3] ?? "") : undefined;
}

/** The allow rules of a user.rules file: its tuples without the marker and the comment. */
export function parseUserRules(text: string): string[] {
  return text.split("\n").flatMap((line) => {
    const tuple = /^### tuple ### (.*)$/.exec(line.trim())?.[1];
    if (!tuple || !/^(route:)?allow\s/.test(tuple)) return [];
    return [tuple.split(/\s+/).filter((word) => !word.startsWith("comment=")).join(" ")];
  });
}

/** ufw's facts and what could not be read. */
export interface UfwReading {
  facts: UfwFacts;
  errors: string[];
}

/** Reads one file into facts; a failure becomes an error line and leaves the facts as they were. */
async function readInto(host: HostExecutor, path: string, errors: string[], use: (text: string) => Partial<UfwFacts>): Promise<Partial<UfwFacts>> {
  try {
    const text = await readHostFile(host, path);
    if (text === undefined) {
      errors.push(`ufw: ${path} does not exist`);
      return {};
    }
    return use(text);
  } catch (error) {
    errors.push(`ufw: ${(error as Error).message}`.slice(0, 400));
    return {};
  }
}

function rulesOf(text: string, path: string, errors: string[]): Partial<UfwFacts> {
  const rules = parseUserRules(text);
  if (rules.length <= MAX_UFW_RULES) return { rules };
  errors.push(`ufw: ${path} has ${rules.length} allow rules, more than the ${MAX_UFW_RULES} reported`);
  return {};
}

/** Reads ufw's facts: one `ufw status verbose` and, when ufw is installed, its three files (concurrently). */
export async function readUfw(host: HostExecutor): Promise<UfwReading> {
  const argv = ["ufw", "status", "verbose"];
  const result = await host.run(argv, { timeoutMs: 15_000 });
  const status = parseUfwStatus(result.code, result.stdout, result.stderr);
  if (status?.state === "notInstalled") return { facts: { state: "notInstalled" }, errors: [] };
  const errors = status ? [] : [`ufw: ${new HostCommandError(argv, result).message}`.slice(0, 400)];
  const parts = await Promise.all([
    readInto(host, UFW_FILES.conf, errors, (text) => {
      const enabled = shellSetting(text, "ENABLED");
      return enabled === undefined ? {} : { enabledAtBoot: enabled === "yes" };
    }),
    readInto(host, UFW_FILES.defaults, errors, (text) => {
      const input = shellSetting(text, "DEFAULT_INPUT_POLICY");
      const forward = shellSetting(text, "DEFAULT_FORWARD_POLICY");
      return { ...(input ? { defaultInputPolicy: input } : {}), ...(forward ? { defaultForwardPolicy: forward } : {}) };
    }),
    readInto(host, UFW_FILES.userRules, errors, (text) => rulesOf(text, UFW_FILES.userRules, errors)),
  ]);
  const facts: UfwFacts = Object.assign({ ...(status ?? { state: "unknown" as const }) }, ...parts);
  return { facts, errors };
}
