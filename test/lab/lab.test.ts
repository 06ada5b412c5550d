// Test layer 3, the node lab: the k0s incident's worker reproduced on the real kernel with real
// firewalld (docs/architecture.md §8.1, §8.3), healed by hand the way the agent will, without touching this machine.
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { nsenterArgv, pidsInNamespaces, run, startLab, type Lab } from "../support/lab/index.js";

const DIAL_TIMEOUT_MS = 2500;

/** Every file under dir with its content: to prove the machine's real files did not change. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) Object.assign(out, snapshot(p));
    else out[p] = readFileSync(p, "utf8");
  }
  return out;
}

/** What must be identical before and after the lab: this machine's own network and kernel state. */
async function hostState(): Promise<Record<string, unknown>> {
  const read = (p: string): string => readFileSync(p, "utf8").trim();
  return {
    ipForward: read("/proc/sys/net/ipv4/ip_forward"),
    pidMax: read("/proc/sys/kernel/pid_max"),
    bridgeNf: existsSync("/proc/sys/net/bridge") ? read("/proc/sys/net/bridge/bridge-nf-call-iptables") : "absent",
    links: (await run(["ip", "-o", "link", "show"])).stdout.replace(/\s+\\.*$/gm, ""),
    routes: (await run(["ip", "route", "show"])).stdout,
    nft: (await run(["nft", "list", "ruleset"])).stdout,
    etcFirewalld: snapshot("/etc/firewalld"),
    etcSysctl: snapshot("/etc/sysctl.d"),
    etcRancher: existsSync("/etc/rancher"),
    varLibRancher: existsSync("/var/lib/rancher"),
  };
}

describe("node lab: k0s worker with firewalld (real namespaces, real firewalld)", () => {
  let lab: Lab;
  let before: Record<string, unknown>;
  /** The agent's way into the host: nsenter into the holder's namespaces, argv only. */
  const agent = (...argv: string[]) => run(nsenterArgv(lab.workerPid, ["mount", "net", "uts", "ipc"], argv));

  beforeAll(async () => {
    before = await hostState();
    lab = await startLab({ ipForward: 0 });
    process.stdout.write(`node lab started in ${lab.startupMs} ms (worker holder PID ${lab.workerPid})\n`);
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  test("ip_forward=0: pod → control:8132 times out while host-to-host works", async () => {
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe("0");
    expect(await lab.readSysctl("net.bridge.bridge-nf-call-iptables")).toBe("0");
    const state = await agent("firewall-cmd", "--state");
    expect([state.code, state.stdout.trim()]).toEqual([0, "running"]);
    expect((await agent("firewall-cmd", "--get-default-zone")).stdout.trim()).toBe("public");
    const zone = await agent("firewall-cmd", "--get-zone-of-interface=cni0");
    expect([zone.code, zone.stderr.trim()]).toEqual([2, "no zone"]);

    const { control, podIP } = lab.addresses;
    expect((await lab.tcpConnect("pod", control, 8132, DIAL_TIMEOUT_MS)).result).toBe("ETIMEDOUT");
    expect((await lab.tcpConnect("worker", control, 8132, DIAL_TIMEOUT_MS)).result).toBe("ok");
    expect((await lab.tcpConnect("worker", control, 6443, DIAL_TIMEOUT_MS)).result).toBe("ok");
    // host → local pod is not forwarded traffic: it works while forwarding is broken (the probe path).
    expect((await lab.tcpConnect("worker", podIP, 9, DIAL_TIMEOUT_MS)).result).toBe("ECONNREFUSED");
  }, 60_000);

  test("ip_forward=1 with firewalld's default config: pod → control:8132 is EHOSTUNREACH (the seed symptom)", async () => {
    const set = await agent("sysctl", "-w", "net.ipv4.ip_forward=1");
    expect(set.code).toBe(0);
    expect(await lab.readSysctl("net.ipv4.ip_forward")).toBe("1");
    const dial = await lab.tcpConnect("pod", lab.addresses.control, 8132, DIAL_TIMEOUT_MS);
    expect(dial.result).toBe("EHOSTUNREACH");
    expect(dial.latencyMs).toBeLessThan(1000); // rejected at once, not timed out
  }, 60_000);

  test("manual fix through nsenter (trusted cni0 + masquerade on public, runtime and --permanent) heals it", async () => {
    for (const scope of [[], ["--permanent"]]) {
      expect((await agent("firewall-cmd", ...scope, "--zone=trusted", "--add-interface=cni0")).stdout.trim()).toBe("success");
    }
    // Trusted alone is not enough: the controller has no route back to the pod CIDR (docs/architecture.md §8.3).
    expect((await lab.tcpConnect("pod", lab.addresses.control, 8132, DIAL_TIMEOUT_MS)).result).toBe("ETIMEDOUT");
    for (const scope of [[], ["--permanent"]]) {
      expect((await agent("firewall-cmd", ...scope, "--zone=public", "--add-masquerade")).stdout.trim()).toBe("success");
    }
    expect((await lab.tcpConnect("pod", lab.addresses.control, 8132, DIAL_TIMEOUT_MS)).result).toBe("ok");
    // --reload drops runtime-only changes: still healed, so the permanent config holds.
    expect((await agent("firewall-cmd", "--reload")).code).toBe(0);
    expect((await agent("firewall-cmd", "--get-zone-of-interface=cni0")).stdout.trim()).toBe("trusted");
    expect((await lab.tcpConnect("pod", lab.addresses.control, 8132, DIAL_TIMEOUT_MS)).result).toBe("ok");

    // The permanent config landed in the lab's scratch layer, not in this machine's /etc/firewalld.
    expect(readFileSync(lab.scratchPathOf("/etc/firewalld/zones/trusted.xml"), "utf8")).toContain('<interface name="cni0"/>');
    expect(readFileSync(lab.scratchPathOf("/etc/firewalld/zones/public.xml"), "utf8")).toContain("<masquerade/>");
    expect(await lab.readFile("/etc/firewalld/zones/trusted.xml")).toContain("cni0");
    expect(existsSync("/etc/firewalld/zones/trusted.xml")).toBe(false);
    expect(snapshot("/etc/firewalld")).toEqual(before.etcFirewalld);
  }, 60_000);

  test("persisting sysctls and `sysctl --system` stay inside the lab; kernel.* is read-only there", async () => {
    const conf = "net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\nkernel.pid_max = 4194303\n";
    expect((await run(nsenterArgv(lab.workerPid, ["mount", "net", "uts", "ipc"], ["tee", "/etc/sysctl.d/90-netmedic.conf"]), { input: conf })).code).toBe(0);
    expect(readFileSync(lab.scratchPathOf("/etc/sysctl.d/90-netmedic.conf"), "utf8")).toBe(conf);
    expect(existsSync("/etc/sysctl.d/90-netmedic.conf")).toBe(false);
    // /tmp is a private tmpfs; paths outside the lab mounts are refused by the harness.
    expect((await agent("touch", "/tmp/netmedic-lab-probe")).code).toBe(0);
    expect(existsSync("/tmp/netmedic-lab-probe")).toBe(false);
    await expect(lab.writeFile("/opt/netmedic.conf", "x")).rejects.toThrow(/not under a lab mount/);

    const pidMax = await agent("sysctl", "-w", "kernel.pid_max=4194303");
    expect(pidMax.code).not.toBe(0);
    await agent("sysctl", "--system"); // exits non-zero on the read-only kernel.* keys; net.* applies
    expect(await lab.readSysctl("net.bridge.bridge-nf-call-iptables")).toBe("1");
    expect(readFileSync("/proc/sys/kernel/pid_max", "utf8").trim()).toBe(before.pidMax);
    expect(readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim()).toBe(before.ipForward);
  }, 60_000);

  test("k3s host root and the fake systemctl: files in scratch, restarts recorded, hooks run", async () => {
    const server = `https://${lab.addresses.control}:6443`;
    const paths = await lab.writeK3sHostRoot({ server, token: "K10abc123::server:lab-secret" });
    expect(await lab.readFile(paths.config)).toContain(`server: ${server}`);
    expect((await agent("cat", paths.serviceEnv)).stdout).toContain(`K3S_URL='${server}'`);
    expect(JSON.parse(await lab.readFile(paths.loadBalancer))).toEqual({ ServerURL: server, ServerAddresses: [`${lab.addresses.control}:6443`], Listener: null });
    expect(existsSync(lab.scratchPathOf(paths.loadBalancer))).toBe(true);

    await lab.setSystemctlUnit("k3s-agent", { active: true, hooks: { restart: ["touch", "/run/netmedic-lab/k3s-agent-restarted"] } });
    expect((await agent("rm", paths.loadBalancer)).code).toBe(0);
    expect((await agent("systemctl", "restart", "k3s-agent")).code).toBe(0);
    expect((await agent("systemctl", "is-active", "k3s-agent")).stdout.trim()).toBe("active");
    expect((await agent("systemctl", "restart", "no-such-unit")).code).toBe(5);
    expect(existsSync(lab.scratchPathOf("/run/netmedic-lab/k3s-agent-restarted"))).toBe(true);
    const calls = await lab.systemctlLog();
    expect(calls.filter((c) => c.verb === "restart").map((c) => [c.units, c.code])).toEqual([[["k3s-agent"], 0], [["no-such-unit"], 5]]);
    expect((await hostState()).etcRancher).toBe(before.etcRancher);
  }, 60_000);

  test("stop() leaves nothing behind and this machine's network and kernel state never changed", async () => {
    const namespaces = lab.namespaces;
    expect(pidsInNamespaces(namespaces).length).toBeGreaterThan(3); // holders, dbus, firewalld, listeners
    await lab.stop();
    expect(pidsInNamespaces(namespaces)).toEqual([]);
    expect(existsSync(lab.scratch.root)).toBe(false);
    expect(existsSync(`/proc/${lab.workerPid}`)).toBe(false);
    expect(await hostState()).toEqual(before);
  }, 60_000);
});
