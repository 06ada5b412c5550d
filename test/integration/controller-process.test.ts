/**
 * `netmedic controller` as a process (the real CLI entry, run through tsx) against the shared
 * control plane, its Lease in a namespace of its own: one clear line and a non-zero exit for bad input; SIGTERM → Lease released, exit 0.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CoordinationV1Api, CoreV1Api } from "@kubernetes/client-node";
import { getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { eventually } from "./controller-fixtures.js";

interface Run {
  exit: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  kill: (signal: NodeJS.Signals) => void;
}

function netmedic(args: string[]): Run {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    exit: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
    stdout: () => stdout, stderr: () => stderr,
    kill: (signal) => child.kill(signal),
  };
}

describe("netmedic controller (process)", () => {
  const cluster = getTestCluster();
  const admin = cluster.kubeConfig;
  const namespace = uniqueName("netmedic-process");
  const dir = mkdtempSync(join(tmpdir(), "netmedic-controller-process-"));

  beforeAll(async () => {
    await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterAll(async () => {
    await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses an invalid config with one line on stderr and exit code 1, before starting anything", async () => {
    const config = join(dir, "bad.yaml");
    writeFileSync(config, "remediation: {maxConcurrent: 0}\nresyncSecs: 5\n");
    const run = netmedic(["controller", "--kubeconfig", cluster.kubeconfigPath, "--namespace", namespace, "--config", config, "--listen", "127.0.0.1:0"]);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toBe(`netmedic controller: invalid config ${config}: resyncSecs: unknown key (allowed: remediation, konnectivity, resyncSeconds, reconcile, agent); `
      + "remediation.maxConcurrent: must be an integer from 1 to 1000 (got 0)\n");
    expect(run.stdout()).toBe("");
  }, 30_000);

  it("refuses an unknown flag with exit code 2 and the usage", async () => {
    const run = netmedic(["controller", "--lease", "x"]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toMatch(/^netmedic controller: Unknown option '--lease'/);
    expect(run.stderr()).toContain("usage: netmedic controller [flags]");
  }, 30_000);

  it("on SIGTERM stops reconciling, releases the Lease so a peer can take over at once, and exits 0", async () => {
    const identity = "process-under-test";
    const run = netmedic(["controller", "--kubeconfig", cluster.kubeconfigPath, "--namespace", namespace, "--listen", "127.0.0.1:0", "--identity", identity,
      "--lease-duration", "6s", "--renew-deadline", "4s", "--retry-period", "1s"]);
    const leases = admin.makeApiClient(CoordinationV1Api);
    const holder = async () => (await leases.readNamespacedLease({ name: "netmedic-controller", namespace })).spec?.holderIdentity;
    await eventually("the process holding the Lease", async () => (await holder()) === identity, 30_000);
    run.kill("SIGTERM");
    expect(await run.exit).toBe(0);
    expect(await holder()).toBe("");
    const messages = run.stdout().split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(expect.arrayContaining(["controller started", "leading: reconciling", "shutdown requested", "not leading: stopped reconciling", "stopped"]));
    expect(messages.indexOf("stopped")).toBe(messages.length - 1);
    expect(run.stderr()).toBe("");
  }, 60_000);
});
