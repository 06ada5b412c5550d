// The lab's fake `systemctl`: an executable that only the worker's mount namespace sees at
// /usr/bin/systemctl. It records every call and runs per-unit hooks; it never touches a real unit.
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";

/** Directory (inside the lab) holding the fake systemctl's state and log: under the scratch /run. */
export const LAB_STATE_DIR = "/run/netmedic-lab";

/** One recorded `systemctl` call, in the order they happened. */
export interface SystemctlCall {
  time: string;
  argv: string[];
  verb: string;
  units: string[];
  code: number;
}

/**
 * What the fake knows about a unit. `active` answers is-active/status and is flipped by
 * start/stop/restart. `enabled` (absent: enabled) answers is-enabled and is flipped by
 * enable/disable (with `--now` they also start/stop). `hooks[verb]` (or `hooks["*"]`) is an argv run synchronously inside the lab
 * (env SYSTEMCTL_VERB, SYSTEMCTL_UNIT); its exit code becomes systemctl's.
 */
export interface FakeUnit {
  active: boolean;
  enabled?: boolean;
  hooks?: Record<string, string[]>;
}

export type FakeUnits = Record<string, FakeUnit>;

// Fixed program: reads its state from LAB_STATE_DIR, never evaluates input.
const SCRIPT = String.raw`
"use strict";
const fs = require("fs"), cp = require("child_process");
const dir = "${LAB_STATE_DIR}";
const argv = process.argv.slice(2);
const pos = argv.filter((a) => !a.startsWith("-"));
const verb = pos[0] || "list-units";
const units = pos.slice(1).map((u) => u.replace(/\.service$/, ""));
const cfgPath = dir + "/systemctl.json";
const cfg = JSON.parse(fs.readFileSync(cfgPath, "utf8"));
const starts = ["start", "restart", "reload", "reload-or-restart", "try-restart", "try-reload-or-restart"];
let code = 0;
for (const name of units) {
  const unit = cfg[name];
  if (verb === "is-active" || verb === "status") {
    const on = !!(unit && unit.active);
    process.stdout.write(verb === "is-active" ? (on ? "active\n" : "inactive\n")
      : "* " + name + ".service\n     Active: " + (on ? "active (running)" : "inactive (dead)") + "\n");
    if (!on) code = verb === "status" && !unit ? 4 : 3;
    continue;
  }
  if (verb === "is-enabled") {
    const state = !unit ? "not-found" : unit.enabled === false ? "disabled" : "enabled";
    process.stdout.write(state + "\n");
    if (state !== "enabled") code = unit ? 1 : 4;
    continue;
  }
  if (!unit) {
    if (starts.includes(verb) || verb === "stop") { process.stderr.write("Failed to " + verb + " " + name + ".service: Unit " + name + ".service not found.\n"); code = 5; }
    continue;
  }
  if (verb === "try-restart" && !unit.active) continue;
  const hook = unit.hooks && (unit.hooks[verb] || unit.hooks["*"]);
  if (hook) {
    const r = cp.spawnSync(hook[0], hook.slice(1), { stdio: "inherit", env: Object.assign({}, process.env, { SYSTEMCTL_VERB: verb, SYSTEMCTL_UNIT: name }) });
    if (r.status !== 0) { process.stderr.write("Job for " + name + ".service failed.\n"); code = 1; }
  }
  if (starts.includes(verb)) unit.active = code === 0;
  if (verb === "stop") unit.active = false;
  if ((verb === "enable" || verb === "disable") && code === 0) {
    unit.enabled = verb === "enable";
    if (argv.includes("--now")) unit.active = verb === "enable";
  }
}
fs.writeFileSync(cfgPath, JSON.stringify(cfg));
fs.appendFileSync(dir + "/systemctl.log", JSON.stringify({ time: new Date().toISOString(), argv, verb, units, code }) + "\n");
process.exit(code);
`;

/** Text of the fake `systemctl` executable, run by this Node binary. */
export function fakeSystemctlScript(): string {
  return `#!${process.execPath}\n${SCRIPT}`;
}

/** Writes the units the fake knows (replacing all); stateDir is the host path of LAB_STATE_DIR. */
export async function writeFakeUnits(stateDir: string, units: FakeUnits): Promise<void> {
  await writeFile(join(stateDir, "systemctl.json"), JSON.stringify(units));
}

/** Reads the units' current state (active flags change as the fake runs). */
export async function readFakeUnits(stateDir: string): Promise<FakeUnits> {
  return JSON.parse(await readFile(join(stateDir, "systemctl.json"), "utf8")) as FakeUnits;
}

/** Every recorded call so far, oldest first. */
export async function readSystemctlLog(stateDir: string): Promise<SystemctlCall[]> {
  const file = join(stateDir, "systemctl.log");
  if (!existsSync(file)) return [];
  const text = await readFile(file, "utf8");
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as SystemctlCall);
}

/** Creates an empty log, so the file exists before the first call. */
export async function initSystemctlLog(stateDir: string): Promise<void> {
  await appendFile(join(stateDir, "systemctl.log"), "");
}
