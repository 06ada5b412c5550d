// Module-loader hooks that append every resolved module URL to the file named in `data.logPath`,
// one per line. Synchronous appends (in the hooks thread) so that the list is complete the moment
// an import in the main thread has settled.
import { appendFileSync } from "node:fs";

let logPath = "";

export function initialize(data) {
  logPath = data.logPath;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  appendFileSync(logPath, `${result.url}\n`);
  return result;
}
