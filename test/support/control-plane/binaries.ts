/**
 * Where the provisioned control-plane binaries are, and the one-line verdict when they are not.
 * Under CI=true a missing control plane fails the run; elsewhere it fails the tests that need it
 * with the same line. Never a skip.
 */
import { accessSync, constants, existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The binaries a control plane needs. */
export interface ControlPlaneBinaries {
  etcd: string;
  etcdctl: string;
  apiserver: string;
  controllerManager: string;
  scheduler: string;
}

/** The message shown when the control plane is not provisioned. */
export const NOT_PROVISIONED = "control plane not provisioned: run `npm test` once as root, which provisions it (see README)";

/** The cache directory written by scripts/control-plane/install.sh (as scripts/provision.sh points it). */
export function cacheDirectory(): string {
  const cache = process.env["NETMEDIC_CACHE"] ?? join(homedir(), ".cache/netmedic");
  return process.env["NETMEDIC_CP_CACHE"] ?? join(cache, "control-plane/v1.20.2");
}

/** Whether `path` is accessible with `mode` (default: executable) by this process. */
export function accessible(path: string, mode = constants.X_OK): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** The binaries, or an Error carrying NOT_PROVISIONED and what is missing. */
export function findBinaries(): ControlPlaneBinaries | Error {
  const bin = join(cacheDirectory(), "bin");
  const found: ControlPlaneBinaries = {
    etcd: "/usr/bin/etcd",
    etcdctl: "/usr/bin/etcdctl",
    apiserver: join(bin, "kube-apiserver"),
    controllerManager: join(bin, "kube-controller-manager"),
    scheduler: join(bin, "kube-scheduler"),
  };
  const missing = Object.values(found).filter((path) => !accessible(path));
  if (!existsSync(join(cacheDirectory(), "VERSION"))) missing.push(join(cacheDirectory(), "VERSION"));
  return missing.length ? new Error(`${NOT_PROVISIONED} (missing: ${missing.join(", ")})`) : found;
}
