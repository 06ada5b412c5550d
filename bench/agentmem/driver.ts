/**
 * Agent memory driver (investigation aid, not part of `npm run bench`): one private control plane and
 * one node-lab k0s worker, N compiled `netmedic agent` children side by side (one NetworkHealth each,
 * all on the same lab host), each with its own node flags. Every --sample seconds it appends one JSON
 * line per agent (RSS, anon/file split from smaps_rollup, the node binary's own Rss from smaps, CPU)
 * to OUT/samples.jsonl; every --pages-every seconds it runs node_pages.py on each agent (saving the
 * present-page set and a diff against the agent's previous set) into OUT/.
 *
 *   tsx bench/agentmem/driver.ts --out DIR --minutes 20 --variant 'base:' --variant 'noopt:--no-opt' [--sample 30] [--pages-every 300]
 *
 * Needs root and the lab prerequisites. The agent is compiled into .build/ of this worktree.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { FIELD_MANAGER_CONTROLLER } from "../../src/api/index.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { startControlPlane } from "../../test/support/control-plane/control-plane.js";
import { startProcess, stopProcess, type ManagedProcess } from "../../test/support/control-plane/processes.js";
import { startLab, type Lab } from "../../test/support/lab/index.js";

const { values } = parseArgs({ options: {
  out: { type: "string" }, minutes: { type: "string", default: "20" }, variant: { type: "string", multiple: true, default: ["base:"] },
  sample: { type: "string", default: "30" }, "pages-every": { type: "string", default: "300" }, env: { type: "string", multiple: true, default: [] },
} });
const out = resolve(values.out ?? `/tmp/agentmem-${Date.now()}`);
mkdirSync(out, { recursive: true });
const log = (line: string) => { process.stdout.write(`${line}\n`); appendFileSync(join(out, "driver.log"), `${line}\n`); };
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
const BUILD = resolve(process.env.AGENTMEM_BUILD ?? ".build");
const PAGES = resolve("bench/agentmem/node_pages.py");

function build(): string {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", BUILD, "--declaration", "false"], { stdio: "inherit" });
  return join(BUILD, "cli/main.js");
}

function kbFields(text: string): Record<string, number> {
  const f: Record<string, number> = {};
  for (const m of text.matchAll(/^(\w+):\s+(\d+) kB/gm)) f[m[1]!] = Number(m[2]);
  return f;
}

function sample(pid: number) {
  const roll = kbFields(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
  const smaps = readFileSync(`/proc/${pid}/smaps`, "utf8");
  let nodeRss = 0, inNode = false;
  for (const line of smaps.split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inNode = line.endsWith(" /usr/bin/node") || line.endsWith(process.execPath);
    else if (inNode && line.startsWith("Rss:")) nodeRss += Number(/(\d+)/.exec(line)![1]);
  }
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const hwm = Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  const mb = (kb: number) => Math.round(kb / 102.4) / 10;
  return {
    rssMb: mb(roll.Rss ?? 0), anonMb: mb(roll.Anonymous ?? 0), fileMb: mb((roll.Rss ?? 0) - (roll.Anonymous ?? 0) - (roll.Shmem ?? 0)),
    nodeBinMb: mb(nodeRss), hwmMb: mb(hwm), cpuS: (Number(fields[11]) + Number(fields[12])) / 100,
  };
}

async function main(): Promise<void> {
  const mainJs = build();
  const variants = values.variant!.map((v) => { const i = v.indexOf(":"); return { name: v.slice(0, i), flags: v.slice(i + 1).split(/\s+/).filter(Boolean) }; });
  const extraEnv = Object.fromEntries(values.env!.map((e) => e.split("=", 2) as [string, string]));
  const plane = await startControlPlane();
  let lab: Lab | undefined;
  const agents: Array<{ name: string; proc: ManagedProcess; lastSave?: string; t0: number }> = [];
  try {
    const admin = new KubeConfig();
    admin.loadFromFile(plane.kubeconfigPath);
    lab = await startLab({ ipForward: 1, bridgeNfCallIptables: 1 });
    const controller = new NetworkHealthClient(admin, FIELD_MANAGER_CONTROLLER);
    for (const v of variants) {
      const node = `bench-agent-${v.name}`;
      await controller.apply({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name: node } });
      const argv = [process.execPath, ...v.flags, mainJs, "agent", "--node-name", node, "--host-pid", String(lab.workerPid), "--kubeconfig", plane.kubeconfigPath, "--log-level", "warn"];
      const proc = startProcess(`agent-${v.name}`, argv, join(out, `agent-${v.name}.log`), { ...process.env, ...extraEnv });
      agents.push({ name: v.name, proc, t0: Date.now() });
      log(`started ${v.name} pid ${proc.pid}: ${argv.slice(0, -9).join(" ")}`);
    }
    writeFileSync(join(out, "pids.json"), JSON.stringify(agents.map((a) => ({ name: a.name, pid: a.proc.pid }))));
    const end = Date.now() + Number(values.minutes) * 60_000;
    const sampleMs = Number(values.sample) * 1000, pagesMs = Number(values["pages-every"]) * 1000;
    let nextPages = Date.now() + 60_000;
    while (Date.now() < end && !stopRequested) {
      await sleep(sampleMs - (Date.now() % sampleMs));
      if (stopRequested) break;
      for (const a of agents) {
        const s = sample(a.proc.pid);
        const row = { t: Math.round((Date.now() - a.t0) / 1000), variant: a.name, ...s };
        appendFileSync(join(out, "samples.jsonl"), `${JSON.stringify(row)}\n`);
        log(JSON.stringify(row));
      }
      if (Date.now() >= nextPages) {
        nextPages += pagesMs;
        for (const a of agents) {
          const t = Math.round((Date.now() - a.t0) / 1000);
          const save = join(out, `pages-${a.name}-${t}.json`);
          const args = [PAGES, String(a.proc.pid), "--save", save, ...(a.lastSave ? ["--diff", a.lastSave] : []), "--top", "25"];
          try {
            writeFileSync(join(out, `report-${a.name}-${t}.json`), execFileSync("python3", args, { encoding: "utf8" }));
            if (!a.lastSave) writeFileSync(join(out, `first-${a.name}`), save);
          } catch (error) { log(`node_pages ${a.name}: ${(error as Error).message}`); }
          a.lastSave = save;
        }
      }
    }
  } finally {
    for (const a of agents) await stopProcess(a.proc);
    await lab?.stop();
    await plane.stop();
    log("stopped");
  }
}

let stopRequested = false;
process.once("SIGTERM", () => { log("signal: stopping"); stopRequested = true; });
main().catch((error) => { log(`failed: ${(error as Error).stack}`); process.exitCode = 1; });
