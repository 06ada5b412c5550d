/**
 * The README's `npm test` provisions a fresh machine by itself: npm's pretest runs
 * scripts/provision.sh, which runs every install script CI used to call, and CI calls nothing but
 * `npm test`. provision.sh itself runs for real here as a non-root user, from a copy of scripts/
 * against temporary caches, with a fake `apt-get` that records calls and, for the cached case, fake
 * dpkg/etcd answers. The lab and control-plane checks are the real ones; a step script owned
 * elsewhere (real node, images) is replaced by a stand-in that answers `--check` as told.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const provision = readFileSync("scripts/provision.sh", "utf8");
/** Install scripts in provision.sh's step list, in order. */
const steps = [...provision.matchAll(/^step (\S+) /gm)].map((m) => m[1]!);

describe("wiring: npm test → pretest → scripts/provision.sh", () => {
  const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;

  it("package.json provisions before npm test, and test:unit runs test/unit without the control plane", () => {
    expect(scripts["pretest"]).toBe("bash scripts/provision.sh");
    expect(scripts["test:unit"]).toMatch(/^NETMEDIC_CONTROL_PLANE=off NODE_OPTIONS='[^']+' jest test\/unit$/);
  });

  it("provision.sh has a step for every scripts/*/install.sh, and for the image build", () => {
    const installScripts = readdirSync("scripts", { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(`scripts/${d.name}/install.sh`))
      .map((d) => `scripts/${d.name}/install.sh`);
    expect(installScripts).toEqual(expect.arrayContaining(["scripts/lab/install.sh", "scripts/control-plane/install.sh"]));
    expect(steps).toEqual(expect.arrayContaining([...installScripts, "scripts/image/build.sh"]));
  });

  it(".ci/run runs the README's npm test and provisions nothing by itself", () => {
    const ci = readFileSync(".ci/run", "utf8");
    const commands = ci.split("\n").filter((line) => !/^\s*#/.test(line));
    expect(commands.filter((line) => /^\s*npm test\b/.test(line))).toHaveLength(1);
    expect(commands.join("\n")).not.toMatch(/install\.sh|:install|provision\.sh|apt-get/);
  });
});

/** What a run printed (stdout then stderr), how long it took, and the apt-get calls and installs it made. */
interface Run { status: number | null; lines: string[]; ms: number; calls: string[] }

describe("scripts/provision.sh run as a non-root user", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Scripts whose checks run for real here; any other step's script gets a stand-in. */
  const realScripts = ["scripts/provision.sh", "scripts/lab/install.sh", "scripts/control-plane/install.sh", "scripts/lib/debian-packages.sh"];

  /**
   * A world-readable temp dir holding repo/ (the scripts), bin/ (fakes first on PATH) and a
   * world-writable calls/ dir. Stand-in steps answer `--check` with `othersProvisioned`.
   */
  function sandbox(othersProvisioned: boolean): string {
    dir = mkdtempSync(join(tmpdir(), "netmedic-provision-"));
    for (const sub of ["bin", "calls"]) mkdirSync(join(dir, sub));
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "calls"), 0o777);
    for (const script of steps.filter((path) => existsSync(path)).concat(realScripts)) {
      const target = join(dir, "repo", script);
      mkdirSync(dirname(target), { recursive: true });
      if (realScripts.includes(script)) copyFileSync(script, target);
      else writeFileSync(target, `[ "$1" = --check ] && exit ${othersProvisioned ? 0 : 1}\necho "$0" >> ${dir}/calls/installs\n`);
    }
    fake("apt-get", `echo "apt-get $*" >> ${dir}/calls/apt-get`);
    return dir;
  }

  function fake(name: string, body: string): void {
    writeFileSync(join(dir, "bin", name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }

  /** Runs provision.sh as nobody when the test runs as root, else as the current (non-root) user. */
  function run(): Run {
    const command = ["bash", join(dir, "repo", "scripts", "provision.sh")];
    const argv = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...command] : command;
    const env = { PATH: `${dir}/bin:/usr/bin:/bin`, HOME: dir, NETMEDIC_CACHE: join(dir, "cache") };
    const start = performance.now();
    const result = spawnSync(argv[0]!, argv.slice(1), { env, encoding: "utf8", timeout: 20_000 });
    const ms = performance.now() - start;
    const calls = (name: string) => existsSync(join(dir, "calls", name)) ? readFileSync(join(dir, "calls", name), "utf8").split("\n").filter(Boolean) : [];
    return { status: result.status, lines: `${result.stdout}${result.stderr}`.split("\n").filter(Boolean), ms, calls: [...calls("apt-get"), ...calls("installs")] };
  }

  /** What scripts/control-plane/install.sh writes when its build is complete: stamp and binaries. */
  function provisionedControlPlane(stamp = controlPlaneStamp()): void {
    const cache = join(dir, "cache", "control-plane", "v1.20.2");
    mkdirSync(join(cache, "bin"), { recursive: true });
    writeFileSync(join(cache, "VERSION"), `${stamp}\n`);
    for (const binary of [...controlPlaneBinaries(), "pause"]) writeFileSync(join(cache, "bin", binary), "#!/bin/sh\n", { mode: 0o755 });
    // Every package installed, and etcd on PATH.
    fake("dpkg-query", 'for a; do case "$a" in -*) ;; *) echo "$a install ok installed";; esac; done');
    fake("etcd", "exit 0");
    fake("etcdctl", "exit 0");
  }

  it("with nothing provisioned: exit 1 and one line naming what is missing and what to run as root; no apt-get", () => {
    sandbox(false);
    const result = run();
    expect(result.status).toBe(1);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatch(/^provision: not provisioned: .*control plane.* — run once as root: npm test /);
    expect(result.calls).toEqual([]);
  });

  it("with everything provisioned: one 'already provisioned' line per step, exit 0, < 2 s, no apt-get", () => {
    sandbox(true);
    provisionedControlPlane();
    const result = run();
    expect(result.lines).toEqual(steps.filter((script) => existsSync(script)).map((script) => expect.stringMatching(
      new RegExp(`^provision: ${stepName(script)}: already provisioned$`))));
    expect(result.status).toBe(0);
    expect(result.ms).toBeLessThan(2000);
    expect(result.calls).toEqual([]);
  });

  it("a control-plane cache from another build (stale VERSION stamp) is not provisioned", () => {
    sandbox(true);
    provisionedControlPlane("kubernetes=1.20.5+really1.20.2;an-older-build");
    const result = run();
    expect(result.status).toBe(1);
    expect(result.lines).toEqual([expect.stringMatching(/^provision: not provisioned: control plane — run once as root/)]);
  });
});

/** The short name provision.sh prints for a step: its label up to " (". */
function stepName(script: string): string {
  const label = new RegExp(`^step ${script.replace(/[.]/g, "\\.")} \\S+ \\\\\\n\\s*"([^"(]+) \\(`, "m").exec(provision);
  if (!label) throw new Error(`no label for ${script} in scripts/provision.sh`);
  return label[1]!;
}

/** STAMP from scripts/control-plane/install.sh with its ${VERSION} substituted, as the script writes it. */
function controlPlaneStamp(): string {
  const script = readFileSync("scripts/control-plane/install.sh", "utf8");
  const version = /^VERSION="([^"]+)"$/m.exec(script)?.[1];
  const stamp = /^STAMP="([^"]+)"$/m.exec(script)?.[1];
  if (!version || !stamp) throw new Error("no VERSION/STAMP in scripts/control-plane/install.sh");
  return stamp.replaceAll("${VERSION}", version);
}

function controlPlaneBinaries(): string[] {
  const list = /^BINARIES=\(([^)]*)\)$/m.exec(readFileSync("scripts/control-plane/install.sh", "utf8"))?.[1];
  if (!list) throw new Error("no BINARIES in scripts/control-plane/install.sh");
  return list.trim().split(/\s+/);
}
