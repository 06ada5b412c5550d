/**
 * The shipped images as a real node loads them: the OCI archives from scripts/image/build.sh imported
 * into a scratch containerd 1.6 (namespace k8s.io, where the CRI looks; root, state and sockets under
 * a temp dir), their configs read back from containerd's content store, and the netmedic image run
 * with runc. Needs root and the archives: without them the file fails with one line, never a skip.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { startProcess, stopProcess, type ManagedProcess } from "../support/control-plane/processes.js";
import { labEnv, mustRun, run, waitFor } from "../support/lab/run.js";

/** The names build.sh gives the images (the real-node harness imports them under these). */
const NETMEDIC_IMAGE = "localhost/netmedic:dev";
const PAUSE_IMAGE = "k8s.gcr.io/pause:3.2";
const IMAGES = join(process.env["NETMEDIC_CACHE"] ?? join(homedir(), ".cache/netmedic"), "images");
const ARCHIVES = [join(IMAGES, "netmedic.tar"), join(IMAGES, "pause.tar")];
const PROGRAMS = ["/usr/bin/containerd", "/usr/bin/ctr", "/usr/bin/containerd-shim-runc-v2", "/usr/sbin/runc"];

/** The one line shown when this file cannot run here. */
function notReady(): string | undefined {
  const absent = [...ARCHIVES, ...PROGRAMS].filter((p) => !existsSync(p));
  if (absent.length) return `image archives or containerd missing (${absent.join(", ")}): run \`sudo npm run image:build\``;
  if (process.getuid?.() !== 0) return "the image test needs root (containerd, runc): run it as root after `sudo npm run image:build`";
  return undefined;
}

interface ImageConfig {
  config: { User?: string; Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string };
  os: string;
  architecture: string;
}

describe("shipped images under a scratch containerd 1.6", () => {
  let dir = "";
  let containerd: ManagedProcess | undefined;
  let hadRunContainerd = true;
  let runs = 0;
  const ctr = (...args: string[]) => ["ctr", "--address", join(dir, "containerd.sock"), "--namespace", "k8s.io", ...args];

  /** Runs the image once with runc (`--rm`); argv replaces the entrypoint and command when given. */
  async function runImage(image: string, ...argv: string[]): Promise<string> {
    runs += 1;
    return mustRun(ctr("run", "--rm", "--fifo-dir", join(dir, "fifo"), "--runc-root", join(dir, "runc"), image, `image-test-${process.pid}-${runs}`, ...argv), { timeoutMs: 30_000 });
  }

  /** The image's config as containerd stores it: index/manifest -> config blob. */
  async function imageConfig(image: string): Promise<ImageConfig> {
    const line = (await mustRun(ctr("images", "ls", `name==${image}`))).split("\n").find((l) => l.startsWith(`${image} `));
    const digest = line?.split(/\s+/)[2];
    if (!digest) throw new Error(`${image} is not in containerd's image list`);
    const manifest = JSON.parse(await mustRun(ctr("content", "get", digest))) as { config: { digest: string } };
    return JSON.parse(await mustRun(ctr("content", "get", manifest.config.digest))) as ImageConfig;
  }

  beforeAll(async () => {
    const reason = notReady();
    if (reason) throw new Error(reason);
    hadRunContainerd = existsSync("/run/containerd");
    dir = mkdtempSync("/var/tmp/netmedic-image-test.");
    mkdirSync(join(dir, "fifo"));
    mkdirSync(join(dir, "runc"));
    // No CRI (nothing here talks to a kubelet) and nothing outside `dir` but the shim sockets,
    // whose directory containerd 1.6 fixes at /run/containerd/s.
    writeFileSync(join(dir, "config.toml"), [
      "version = 2", `root = "${dir}/root"`, `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]',
      "[grpc]", `  address = "${dir}/containerd.sock"`, "[ttrpc]", `  address = "${dir}/containerd.sock.ttrpc"`,
      '[plugins."io.containerd.internal.v1.opt"]', `  path = "${dir}/opt"`, "",
    ].join("\n"));
    const daemon = startProcess("containerd", ["containerd", "--config", join(dir, "config.toml")], join(dir, "containerd.log"), labEnv());
    containerd = daemon;
    await waitFor("containerd's socket", 20_000, () => {
      if (daemon.child.exitCode !== null) throw new Error(`containerd exited ${daemon.child.exitCode}; see ${daemon.logPath}`);
      return existsSync(join(dir, "containerd.sock")) || undefined;
    });
    for (const archive of ARCHIVES) await mustRun(ctr("images", "import", archive), { timeoutMs: 120_000 });
  }, 180_000);

  afterAll(async () => {
    if (containerd) await stopProcess(containerd);
    if (!dir) return;
    // Snapshot mounts left by an interrupted run (a clean `ctr run --rm` unmounts its own).
    const mounts = (await run(["findmnt", "-rn", "-o", "TARGET"])).stdout.split("\n").filter((m) => m.startsWith(`${dir}/`));
    for (const m of mounts.reverse()) await run(["umount", "-l", m]);
    rmSync(dir, { recursive: true, force: true });
    if (!hadRunContainerd) for (const d of ["/run/containerd/s", "/run/containerd"]) await run(["rmdir", d]);
  }, 60_000);

  it("imports both archives under their names", async () => {
    const names = (await mustRun(ctr("images", "ls", "-q"))).split("\n");
    expect(names).toEqual(expect.arrayContaining([NETMEDIC_IMAGE, PAUSE_IMAGE]));
  });

  it("netmedic's config: user 65532:65532, tini -> node /app/dist/cli/main.js, --help by default", async () => {
    const image = await imageConfig(NETMEDIC_IMAGE);
    expect([image.os, image.architecture]).toEqual(["linux", "amd64"]);
    expect(image.config.User).toBe("65532:65532");
    expect(image.config.Entrypoint).toEqual(["/usr/bin/tini", "--", "node", "/app/dist/cli/main.js"]);
    expect(image.config.Cmd).toEqual(["--help"]);
    expect(image.config.WorkingDir).toBe("/app");
    expect(image.config.Env).toEqual(expect.arrayContaining(["NODE_ENV=production"]));
  });

  it("runs as 65532 with the Node the base declares, and prints its usage by default and as `netmedic --help`", async () => {
    const { config } = await imageConfig(NETMEDIC_IMAGE);
    const nodeVersion = config.Env?.find((e) => e.startsWith("NODE_VERSION="))?.slice("NODE_VERSION=".length);
    expect(nodeVersion).toMatch(/^20\.\d+\.\d+$/);
    expect((await runImage(NETMEDIC_IMAGE, "node", "--version")).trim()).toBe(`v${nodeVersion}`);
    expect((await runImage(NETMEDIC_IMAGE, "id")).trim()).toBe("uid=65532 gid=65532 groups=65532");
    const byDefault = await runImage(NETMEDIC_IMAGE);
    expect(byDefault).toMatch(/^usage: netmedic <command>/);
    expect(byDefault).toMatch(/^\s+agent --node-name NAME/m);
    expect(await runImage(NETMEDIC_IMAGE, "netmedic", "--help")).toBe(byDefault);
  }, 60_000);

  it("has nsenter (util-linux) and ip (iproute2) for the agent", async () => {
    expect(await runImage(NETMEDIC_IMAGE, "nsenter", "--version")).toMatch(/^nsenter from util-linux \d/);
    expect(await runImage(NETMEDIC_IMAGE, "ip", "-V")).toMatch(/^ip utility, iproute2-\d/);
  }, 60_000);

  it("the pause image is /pause alone, FROM scratch, and runs", async () => {
    const image = await imageConfig(PAUSE_IMAGE);
    expect(image.config.Entrypoint).toEqual(["/pause"]);
    expect(await runImage(PAUSE_IMAGE, "/pause", "-v")).toMatch(/^pause\.c v/);
  }, 60_000);
});
