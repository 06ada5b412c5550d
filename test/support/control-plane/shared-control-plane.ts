/**
 * The shared control plane of a Jest run (loaded by global-setup.mjs / global-teardown.mjs): starts ONE control plane for the whole run and publishes how to reach
 * it through NETMEDIC_TEST_CLUSTER (a JSON file). Missing binaries fail the run under CI=true;
 * elsewhere the tests that need the cluster fail with the one-line reason (never a skip).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startControlPlane, type ControlPlane } from "./control-plane.js";
import { findBinaries } from "./binaries.js";

/** What test workers learn about the shared control plane. */
export interface SharedClusterInfo {
  server: string;
  kubeconfigPath: string;
  caCertPath: string;
  adminToken: string;
  startupMs: number;
}

declare global {
  var __netmedicControlPlane: ControlPlane | undefined;
}

/** Starts the shared control plane (global setup). */
export async function setupSharedControlPlane(): Promise<void> {
  if (process.env["NETMEDIC_CONTROL_PLANE"] === "off") {
    process.env["NETMEDIC_TEST_CLUSTER_ERROR"] = "the shared control plane was turned off (NETMEDIC_CONTROL_PLANE=off)";
    return;
  }
  const binaries = findBinaries();
  if (binaries instanceof Error) {
    if (process.env["CI"] === "true") throw binaries;
    process.stderr.write(`\n${binaries.message}\n`);
    process.env["NETMEDIC_TEST_CLUSTER_ERROR"] = binaries.message;
    return;
  }
  const started = Date.now();
  const controlPlane = await startControlPlane();
  globalThis.__netmedicControlPlane = controlPlane;
  const info: SharedClusterInfo = {
    server: controlPlane.server, kubeconfigPath: controlPlane.kubeconfigPath, caCertPath: controlPlane.caCertPath,
    adminToken: controlPlane.adminToken, startupMs: Date.now() - started,
  };
  const path = join(controlPlane.dir, "cluster.json");
  writeFileSync(path, JSON.stringify(info));
  process.env["NETMEDIC_TEST_CLUSTER"] = path;
  process.stderr.write(`\ncontrol plane ready at ${controlPlane.server} in ${info.startupMs} ms\n`);
}

/** Stops the shared control plane's processes by PID and removes its files (global teardown). */
export async function teardownSharedControlPlane(): Promise<void> {
  await globalThis.__netmedicControlPlane?.stop();
  globalThis.__netmedicControlPlane = undefined;
}
