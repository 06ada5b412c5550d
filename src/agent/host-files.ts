/**
 * Host files, read and written inside the host's mount namespace with coreutils (never through
 * /proc/PID/root, where absolute symlinks would resolve in the agent's own root). Writes are
 * atomic: a temp file next to the target gets the target's mode and owner (a 0600 config holding a
 * token stays 0600), is filled from stdin and flushed, then renamed over the target.
 */
import { HostCommandError, mustRun, type HostExecutor } from "./host-executor.js";
import { validHostPath } from "./validate.js";

const MISSING = /No such file or directory/;

/** A file's content, or undefined when it does not exist. Other failures throw. */
export async function readHostFile(host: HostExecutor, path: string): Promise<string | undefined> {
  const argv = ["cat", "--", validHostPath(path)];
  const result = await host.run(argv);
  if (result.code === 0) return result.stdout;
  if (MISSING.test(result.stderr)) return undefined;
  throw new HostCommandError(argv, result);
}

/** Whether a path exists on the host. */
export async function hostPathExists(host: HostExecutor, path: string): Promise<boolean> {
  const result = await host.run(["test", "-e", validHostPath(path)]);
  if (result.code !== 0 && result.code !== 1) throw new HostCommandError(["test", "-e", path], result);
  return result.code === 0;
}

/**
 * Replaces `path` with `content` atomically. A new file gets `newFileMode`; its directory must
 * exist (a missing /etc/sysctl.d is a surprise to report, not to paper over).
 */
export async function writeHostFileAtomic(host: HostExecutor, path: string, content: string, newFileMode = "0644"): Promise<void> {
  const target = validHostPath(path);
  const temp = `${target}.netmedic-tmp`;
  try {
    if (await hostPathExists(host, target)) await mustRun(host, ["cp", "--preserve=mode,ownership", "--", target, temp]);
    else await mustRun(host, ["install", "-m", newFileMode, "-T", "/dev/null", temp]);
    await mustRun(host, ["dd", `of=${temp}`, "conv=fsync", "status=none"], { input: content });
    await mustRun(host, ["mv", "-f", "-T", "--", temp, target]);
  } catch (error) {
    await host.run(["rm", "-f", "--", temp]).catch(() => undefined);
    throw error;
  }
}

/** Copies `path` to `backup` keeping mode, owner and times; refuses to overwrite an existing backup. */
export async function backupHostFile(host: HostExecutor, path: string, backup: string): Promise<void> {
  if (await hostPathExists(host, validHostPath(backup))) throw new Error(`backup ${backup} already exists`);
  await mustRun(host, ["cp", "--preserve=mode,ownership,timestamps", "--", validHostPath(path), backup]);
}

/** Restores `path` from `backup` atomically (the backup stays). */
export async function restoreHostFile(host: HostExecutor, backup: string, path: string): Promise<void> {
  const temp = `${validHostPath(path)}.netmedic-tmp`;
  await mustRun(host, ["cp", "--preserve=mode,ownership,timestamps", "--", validHostPath(backup), temp]);
  await mustRun(host, ["mv", "-f", "-T", "--", temp, path]);
}

/** Renames a file (same directory; used to move state aside so it can be put back). */
export async function moveHostFile(host: HostExecutor, from: string, to: string): Promise<void> {
  await mustRun(host, ["mv", "-f", "-T", "--", validHostPath(from), validHostPath(to)]);
}

/** Removes a file; absent is fine. */
export async function removeHostFile(host: HostExecutor, path: string): Promise<void> {
  await mustRun(host, ["rm", "-f", "--", validHostPath(path)]);
}

/** A compact UTC timestamp for backup names: 20250505T164803Z. */
export function backupStamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
}
