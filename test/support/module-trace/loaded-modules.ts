/**
 * Which modules a snippet of ESM code loads, in a fresh `node --import tsx` process: every URL
 * resolved through the ESM loader (hooks.mjs) plus every file in the CommonJS require cache (CJS
 * requires do not pass the ESM hooks on Node 20), so a package reached either way is seen.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REGISTER = fileURLToPath(new URL("./register.mjs", import.meta.url));

/** Runs `code` (ESM, top-level await, cwd = repo root) and returns the loaded modules' URLs/paths. */
export function loadedModules(code: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "netmedic-modules-"));
  const log = join(dir, "resolved.log");
  const cjs = join(dir, "cjs.json");
  try {
    // The CJS list goes to a file, not stdout: the code under test may log (pino writes stdout
    // asynchronously), and a line landing after the list made the parse fail in CI.
    const script = `${code}\nconst { createRequire } = await import("node:module");\n`
      + `(await import("node:fs")).writeFileSync(${JSON.stringify(cjs)}, JSON.stringify(Object.keys(createRequire(process.cwd() + "/").cache)));`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--import", REGISTER, "--input-type=module", "-e", script], {
      encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", MODULE_TRACE_LOG: log }, timeout: 60_000,
    });
    if (child.status !== 0 || !existsSync(cjs)) throw new Error(`module trace failed (${child.status}): ${child.stderr.slice(-600)}`);
    return [...readFileSync(log, "utf8").split("\n").filter(Boolean), ...(JSON.parse(readFileSync(cjs, "utf8")) as string[])];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
