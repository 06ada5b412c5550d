/**
 * Locates the dialer program next to this module, so re-execution works the same from dist/
 * (production: plain `node dial-main.js`) and from src/ under tests (no dist/: `node --import tsx
 * dial-main.ts`, tsx being a devDependency). Only this Node binary and this file are ever run.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/** argv prefix that starts the dialer; append `--jobs JSON`. Throws when neither build is present. */
export function dialProgramArgv(): string[] {
  const js = fileURLToPath(new URL("./dial-main.js", import.meta.url));
  if (existsSync(js)) return [process.execPath, js];
  const ts = fileURLToPath(new URL("./dial-main.ts", import.meta.url));
  if (existsSync(ts)) {
    const loader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    return [process.execPath, "--import", loader, ts];
  }
  throw new Error(`dialer program not found next to ${fileURLToPath(import.meta.url)}`);
}
