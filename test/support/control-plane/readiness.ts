/** Waiting for kube-apiserver's /readyz over TLS with the test CA. */
import { request } from "node:https";
import { readFileSync } from "node:fs";
import type { ManagedProcess } from "./processes.js";

function readyz(server: string, token: string, ca: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${server}/readyz`, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** Resolves when /readyz answers 200; rejects with the log path when the process dies or time runs out. */
export async function waitForReady(server: string, token: string, caPath: string, apiserver: ManagedProcess, timeoutMs: number): Promise<void> {
  const ca = readFileSync(caPath);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (apiserver.child.exitCode !== null) throw new Error(`kube-apiserver exited (${apiserver.child.exitCode}); see ${apiserver.logPath}`);
    if ((await readyz(server, token, ca)) === 200) return;
    // Polled often: every 100 ms of latency here is start-up time of every run.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`kube-apiserver not ready within ${timeoutMs} ms; see ${apiserver.logPath}; its last lines:\n${logTail(apiserver.logPath)}`);
}

/** The last lines of a log, for an error raised before the plane's directory is removed. */
function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
