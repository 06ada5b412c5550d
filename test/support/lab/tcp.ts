// One bounded TCP dial from inside a lab network namespace, with a fixed program run by `node -e`
// under nsenter (host, port and timeout travel as argv, never as code).
import { nsenterArgv, run, type NsKinds } from "./run.js";

/** Outcome of a dial: `ok`, or the errno code (EHOSTUNREACH, ETIMEDOUT, ECONNREFUSED, …). */
export interface TcpResult {
  result: "ok" | "EHOSTUNREACH" | "ETIMEDOUT" | "ECONNREFUSED" | "ENETUNREACH" | (string & {});
  latencyMs: number;
}

const DIAL = `
const net = require("net");
const [host, port, timeoutMs] = process.argv.slice(1);
const start = process.hrtime.bigint();
const sock = net.connect({ host, port: Number(port) });
const done = (result) => {
  const latencyMs = Number((process.hrtime.bigint() - start) / 1000000n);
  process.stdout.write(JSON.stringify({ result, latencyMs }));
  sock.destroy();
  process.exit(0);
};
sock.setTimeout(Number(timeoutMs), () => done("ETIMEDOUT"));
sock.on("connect", () => done("ok"));
sock.on("error", (e) => done(e.code || e.message));
`;

/** Dials host:port from the network namespace of pid; ETIMEDOUT after timeoutMs. */
export async function dialFrom(pid: number, kinds: NsKinds, host: string, port: number, timeoutMs: number): Promise<TcpResult> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`lab: bad port ${port}`);
  const argv = nsenterArgv(pid, kinds, [process.execPath, "-e", DIAL, "--", host, String(port), String(timeoutMs)]);
  const r = await run(argv, { timeoutMs: timeoutMs + 10_000 });
  if (r.code !== 0) throw new Error(`lab: dial helper failed (${r.code}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as TcpResult;
}
