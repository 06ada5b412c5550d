/**
 * The shared control plane of a Jest run (loaded by global-setup.mjs / global-teardown.mjs): starts ONE control plane for the whole run and publishes how to reach
 * it through NETMEDIC_TEST_CLUSTER (a JSON file). Missing binaries fail the run under CI=true;
 * elsewhere the tests that need the cluster fail with the one-line reason (never a skip).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startControlPlane, type ControlPlane } from "./control-plane.js";
import { findBinaries } from "./binaries.js";
import type { Pki } from "./pki.js";
import { readStartups, recordStartup, startupSummary } from "./startup-log.js";

/**
 * What test workers learn about the shared control plane: how to reach it, its audit log, and what
 * an apiserver replica needs to join it (etcd, PKI, token file; see replica.ts).
 */
export interface SharedClusterInfo {
  dir: string;
  server: string;
  kubeconfigPath: string;
  caCertPath: string;
  adminToken: string;
  startupMs: number;
  /** Every request to the shared apiserver at Metadata level (JSON lines); filter by user or object. */
  auditLogPath: string;
  etcdEndpoint: string;
  pki: Pki;
  tokenFile: string;
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
  // The upstream 40 s node grace: files that need a Node to go NotReady wait for it, the others
  // keep their Nodes Ready with a kubelet-like Lease heartbeat (kubelet.ts).
  const controlPlane = await startControlPlane({ auditLog: true });
  globalThis.__netmedicControlPlane = controlPlane;
  const { dir, server, kubeconfigPath, caCertPath, adminToken, etcdEndpoint, pki, tokenFile } = controlPlane;
  const info: SharedClusterInfo = {
    dir, server, kubeconfigPath, caCertPath, adminToken, etcdEndpoint, pki, tokenFile,
    startupMs: controlPlane.startup.ms, auditLogPath: join(dir, "audit.log"),
  };
  const path = join(dir, "cluster.json");
  writeFileSync(path, JSON.stringify(info));
  process.env["NETMEDIC_TEST_CLUSTER"] = path;
  process.env["NETMEDIC_TEST_STARTUPS"] = join(dir, "startups.jsonl");
  recordStartup({ kind: "shared", ms: controlPlane.startup.ms, phases: controlPlane.startup.phases });
  process.stderr.write(`\ncontrol plane ready at ${server} in ${info.startupMs} ms ${JSON.stringify(controlPlane.startup.phases)}\n`);
}

/** Stops the shared control plane's processes by PID and removes its files (global teardown). */
export async function teardownSharedControlPlane(): Promise<void> {
  const startups = process.env["NETMEDIC_TEST_STARTUPS"];
  if (startups) process.stderr.write(`\n${startupSummary(readStartups(startups))}\n`);
  await globalThis.__netmedicControlPlane?.stop();
  globalThis.__netmedicControlPlane = undefined;
}
