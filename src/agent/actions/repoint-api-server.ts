/**
 * RepointAPIServerEndpoint (k3s/RKE2): point the node agent at a live apiserver. The new server
 * comes ONLY from the order and must be `https://<IP>:6443` (RKE2 :9345) of an address in the
 * controller's live apiserver endpoints (the probe-targets annotation's apiServers). Each file
 * holding the server setting is backed up (`<file>.netmedic-bak-<ts>`), then only its server line
 * is rewritten, atomically; the load-balancer state is moved aside (so the agent re-fetches its
 * server list); the agent unit is restarted with the host's systemctl. The files also hold the
 * join token: their content stays in local variables and never reaches a detail, a log or the
 * status.
 */
import { hostOf } from "../../core/evidence.js";
import { mustRun, type HostExecutor } from "../host-executor.js";
import { backupHostFile, backupStamp, hostPathExists, moveHostFile, readHostFile, writeHostFileAtomic } from "../host-files.js";
import { configServers, envServers, rewriteConfigServer, rewriteEnvServer } from "../server-config.js";
import { layoutOf } from "../api-server-facts.js";
import type { AgentLayout } from "../distribution.js";
import { validServerURL, validUnit } from "../validate.js";
import { ActionFailure, verify, type ActionBody } from "./action.js";
import type { ChangeJournal } from "./journal.js";

/** One file that sets the server, with its current URLs and rewritten content. */
interface ServerFile {
  path: string;
  current: string[];
  next: string;
}

async function serverFiles(host: HostExecutor, layout: AgentLayout, url: string): Promise<ServerFile[]> {
  const files: ServerFile[] = [];
  const config = await readHostFile(host, layout.config);
  if (config !== undefined && configServers(config).length > 0) {
    files.push({ path: layout.config, current: configServers(config), next: rewriteConfigServer(config, url).content });
  }
  for (const path of layout.envFiles) {
    const env = await readHostFile(host, path);
    if (env !== undefined && envServers(env, layout.envKey).length > 0) {
      files.push({ path, current: envServers(env, layout.envKey), next: rewriteEnvServer(env, layout.envKey, url).content });
    }
  }
  return files;
}

async function rewriteWithBackup(host: HostExecutor, journal: ChangeJournal, file: ServerFile, stamp: string): Promise<string> {
  const backup = `${file.path}.netmedic-bak-${stamp}`;
  await backupHostFile(host, file.path, backup);
  await writeHostFileAtomic(host, file.path, file.next);
  journal.record(`rewrote ${file.path}`, { kind: "restore", backup, path: file.path });
  return backup;
}

const RESTART_TIMEOUT_MS = 120_000;
const restartArgv = (unit: string): string[] => ["systemctl", "restart", `${unit}.service`];

async function restartUnit(host: HostExecutor, unit: string): Promise<void> {
  await mustRun(host, restartArgv(unit), { timeoutMs: RESTART_TIMEOUT_MS });
}

/** Reads back the server settings after the rewrite. */
async function configuredNow(host: HostExecutor, layout: AgentLayout): Promise<string[]> {
  const files = await serverFiles(host, layout, "https://0.0.0.0:1");
  return files.flatMap((f) => f.current);
}

/** The RepointAPIServerEndpoint action body. */
export const repointAPIServer: ActionBody = async (action, context, journal) => {
  const { host, snapshot } = context;
  const layout = layoutOf(snapshot.facts.distribution);
  if (!layout) throw new ActionFailure(`cannot re-point a ${snapshot.facts.distribution ?? "unknown"} node (k3s/RKE2 only)`);
  const { url, host: address } = validServerURL(action.server, layout.port);
  const live = (context.targets.apiServers ?? []).map((endpoint) => hostOf(endpoint));
  if (!live.includes(address)) throw new ActionFailure(`server ${url} is not a live apiserver endpoint (known: ${live.join(", ") || "none"})`);
  const unit = validUnit(snapshot.facts.apiServer?.service ?? layout.units[0]?.[0]);
  const files = await serverFiles(host, layout, url);
  if (files.length === 0) throw new ActionFailure(`no server setting found in ${[layout.config, ...layout.envFiles].join(", ")}`);
  const previous = [...new Set(files.flatMap((f) => f.current))];
  if (previous.every((u) => u === url)) return { result: "Skipped", detail: `already pointing at ${url}` };
  const stamp = backupStamp(context.now());
  const backups: string[] = [];
  for (const file of files) backups.push(await rewriteWithBackup(host, journal, file, stamp));
  let lbNote = "no load-balancer state";
  if (await hostPathExists(host, layout.loadBalancer)) {
    const aside = `${layout.loadBalancer}.netmedic-bak-${stamp}`;
    await moveHostFile(host, layout.loadBalancer, aside);
    journal.record(`moved ${layout.loadBalancer} aside`, { kind: "move", from: aside, to: layout.loadBalancer });
    lbNote = `load-balancer state moved to ${aside}`;
  }
  // Undone last: once the old files are back, the unit restarts on them.
  journal.recordLast(`restarted ${unit}`, { kind: "command", argv: restartArgv(unit), timeoutMs: RESTART_TIMEOUT_MS });
  await restartUnit(host, unit);
  const now = await configuredNow(host, layout);
  verify(now.length > 0 && now.every((u) => u === url), `server setting reads ${now.join(", ")}`);
  return {
    result: "Succeeded",
    detail: `re-pointed ${unit} from ${previous.join(", ")} to ${url} in ${files.map((f) => f.path).join(", ")}; backups ${backups.join(", ")}; ${lbNote}; ${unit} restarted`,
  };
};
