/**
 * LoadKernelModules: load the modules the order names that the fresh readings show installed but
 * not loaded, and persist them in the agent's modules-load.d file so a reboot loads them again.
 * Persisted first; each `modprobe` journaled with its `modprobe -r`; verified by reading the
 * modules' state again. A module the kernel's tree lacks is a clear Failed naming the package that
 * usually carries it — netmedic installs no packages. Loaded or built-in modules are left alone.
 */
import { MAX_PLANNED_MODULES, type KernelModuleFacts } from "../../api/index.js";
import { packageHint } from "../../core/checks-modules.js";
import type { HostExecutor } from "../host-executor.js";
import { mergeModulesConf, modulesConfHas, MODULES_CONF } from "../conf-files.js";
import { readHostFile } from "../host-files.js";
import { KERNEL_MODULES, readKernelModules } from "../kernel-modules.js";
import { InvalidParameterError } from "../validate.js";
import { ActionFailure, verify, type ActionBody } from "./action.js";
import type { ChangeJournal } from "./journal.js";
import { rewriteFile } from "./sysctl-actions.js";

/** The ordered modules, each one netmedic knows (never a name a command would take as an option). */
function orderedModules(modules: readonly string[] | undefined): readonly string[] {
  const names = modules ?? [];
  if (names.length === 0 || names.length > MAX_PLANNED_MODULES) throw new InvalidParameterError(`invalid modules: 1 to ${MAX_PLANNED_MODULES} expected`);
  for (const name of names) if (!Object.hasOwn(KERNEL_MODULES, name)) throw new InvalidParameterError(`invalid module ${JSON.stringify(name.slice(0, 40))}`);
  return names;
}

const stateOf = (facts: KernelModuleFacts, name: string) => facts.modules.find((m) => m.name === name)?.state ?? "unknown";

/** Runs modprobe; throws with its own words when it fails. */
async function modprobe(host: HostExecutor, args: readonly string[]): Promise<void> {
  const result = await host.run(["modprobe", ...args], { timeoutMs: 15_000 });
  if (result.code !== 0) throw new ActionFailure(`modprobe ${args.join(" ")} exited ${result.code}: ${result.stderr.trim().split("\n")[0] ?? ""}`.trim());
}

/** Loads each module, journaling its unload. */
async function load(host: HostExecutor, journal: ChangeJournal, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await modprobe(host, [name]);
    // The undo is data, so an agent restarted after a crash can still unload what this one loaded.
    journal.record(`loaded ${name}`, { kind: "command", argv: ["modprobe", "-r", name], timeoutMs: 15_000 });
  }
}

/** The LoadKernelModules action body. */
export const loadKernelModules: ActionBody = async (action, context, journal) => {
  const { host } = context;
  const names = orderedModules(action.modules);
  const before = await readKernelModules(host);
  const missing = names.filter((n) => stateOf(before, n) === "notInstalled" || stateOf(before, n) === "unknown");
  if (missing.length) throw new ActionFailure(`${missing.join(", ")} cannot be loaded (${missing.map((n) => stateOf(before, n)).join(", ")} for kernel ${before.release}): install ${packageHint(before.release)}`);
  const toLoad = names.filter((n) => stateOf(before, n) === "available");
  const conf = await readHostFile(host, MODULES_CONF);
  const toPersist = names.filter((n) => stateOf(before, n) !== "builtin" && !modulesConfHas(conf, n));
  if (toLoad.length === 0 && toPersist.length === 0) return { result: "Skipped", detail: `${names.join(", ")} already loaded or built in, and persisted` };
  if (toPersist.length) await rewriteFile(host, journal, MODULES_CONF, conf, toPersist.reduce<string | undefined>((text, n) => mergeModulesConf(text, n), conf) ?? "");
  await load(host, journal, toLoad);
  const after = await readKernelModules(host);
  verify(names.every((n) => ["loaded", "builtin"].includes(stateOf(after, n))), names.map((n) => `${n} ${stateOf(after, n)}`).join(", "));
  const reread = await readHostFile(host, MODULES_CONF);
  verify(toPersist.every((n) => modulesConfHas(reread, n)), `${MODULES_CONF} does not load ${toPersist.join(", ")}`);
  const done = [toLoad.length ? `loaded ${toLoad.join(", ")}` : "", toPersist.length ? `persisted ${toPersist.join(", ")} in ${MODULES_CONF}` : ""].filter(Boolean);
  return { result: "Succeeded", detail: done.join("; ") };
};
