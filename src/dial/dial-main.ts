/**
 * Stand-alone entry of the one-shot dialer, so the agent can re-execute it under
 * `nsenter --target PID --net` without going through the CLI (see dial-entry.ts).
 */
import { runDial } from "./dial.js";

process.exitCode = await runDial(process.argv.slice(2));
