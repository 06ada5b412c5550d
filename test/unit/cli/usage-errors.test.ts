// Every entry point refuses a bad flag the same way: exit code 2, the first line of stderr names the
// command, the flag, the bad value and the expected form, and there is no stack trace.
import { describe, expect, it } from "@jest/globals";
import { cli } from "./run-cli.js";

describe("a bad flag, at every entry point", () => {
  it.each([
    [["controller", "--lease-duration", "15"], /^netmedic controller: --lease-duration: expected a duration such as 10s, 1m30s or 500ms \(got "15"\)$/],
    [["controller", "--retry-period=2"], /^netmedic controller: --retry-period: expected a duration such as 10s, 1m30s or 500ms \(got "2"\)$/],
    [["controller", "--listen", "8080"], /^netmedic controller: --listen: expected \[HOST\]:PORT such as :8080 \(got "8080"\)$/],
    [["controller", "--bogus"], /^netmedic controller: Unknown option '--bogus'/],
    [["agent", "--node-name", "w", "--interval", "10"], /^netmedic agent: --interval: expected a duration such as 10s, 1m30s or 500ms \(got "10"\)$/],
    [["agent", "--node-name=w", "--heartbeat=5"], /^netmedic agent: --heartbeat: expected a duration such as 10s, 1m30s or 500ms \(got "5"\)$/],
    [["agent", "--host-pid", "1"], /^netmedic agent: --node-name is required/],
    [["probe", "--listen", "0.0.0.0:9090", "--allow", "10.0.0.1/32", "--rate", "fast"], /^netmedic probe: --rate: expected an integer from 1 to 10000 \(got "fast"\)$/],
    [["probe", "--listen", "0.0.0.0:9090", "--allow", "10.0.0.0/33"], /^netmedic probe: --allow: expected a CIDR such as 10.0.0.0\/8 \(got "10.0.0.0\/33"\)$/],
    [["probe", "--listen", "localhost:9090", "--allow", "10.0.0.1/32"], /^netmedic probe: --listen: expected IP:PORT .* \(got "localhost:9090"\)$/],
    [["diagnose", "--snapshot", "x", "-o", "xml"], /^netmedic diagnose: --output: expected text, json or yaml \(got "xml"\)$/],
  ])("%j", async (args, firstLine) => {
    const { code, stdout, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toMatch(firstLine);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
