/**
 * `netmedic` started as a program: directly, and through a symlink (npm's bin link,
 * /usr/local/bin/netmedic). Through a symlink it once did nothing and exited 0.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ENTRY = resolve("src/cli/main.ts");

function run(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", script, ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_OPTIONS: "" } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("netmedic as a program", () => {
  const dir = mkdtempSync(join(tmpdir(), "netmedic-bin-"));
  const link = join(dir, "netmedic");
  symlinkSync(ENTRY, link);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["the module itself", ENTRY],
    ["a symlink to it", link],
  ])("started as %s, it runs the command and exits with its code", (_name, script) => {
    const help = run(script, ["help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: netmedic <command>/);
    const unknown = run(script, ["no-such-command"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "no-such-command"/);
  }, 60_000);
});
