/**
 * Which modules a snippet of ESM code loads, in a fresh `node --import tsx` process: every URL
 * resolved through the ESM loader (hooks.mjs) plus every file in the CommonJS require cache (CJS
 * requires do not pass the ESM hooks on Node 20), so a package reached either way is seen.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REGISTER = fileURLToPath(new URL("./register.mjs", import.meta.url));
const MARKER = "--loaded-cjs--";

/** Runs `code` (ESM, top-level await, cwd = repo root) and returns the loaded modules' URLs/paths. */
export function loadedModules(code: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "netmedic-modules-"));
  const log = join(dir, "resolved.log");
  try {
    const script = `${code}\nconst { createRequire } = await import("node:module");\n`
      + `process.stdout.write("${MARKER}" + JSON.stringify(Object.keys(createRequire(process.cwd() + "/").cache)));`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--import", REGISTER, "--input-type=module", "-e", script], {
      encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", MODULE_TRACE_LOG: log }, timeout: 60_000,
    });
    const marked = child.stdout.split(MARKER)[1];
    if (child.status !== 0 || marked === undefined) throw new Error(`module trace failed (${child.status}): ${child.stderr.slice(-600)}`);
    return [...readFileSync(log, "utf8").split("\n").filter(Boolean), ...(JSON.parse(marked) as string[])];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
