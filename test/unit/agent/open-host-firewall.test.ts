// OpenHostFirewall against an in-memory firewalld: how many firewall-cmd processes it starts (each
// is a fresh Python process, 0.2–1.2 s: the time-to-heal bench), and that fewer calls still mean
// idempotence, both scopes, exact per-scope undo and a full rollback. The lab test does the same on
// the real firewalld (test/lab/open-host-firewall.test.ts).
import { beforeEach, describe, expect, it } from "@jest/globals";
import type { PlannedAction } from "../../../src/api/index.js";
import { runAction, type ActionContext } from "../../../src/agent/actions/action.js";
import { openHostFirewall } from "../../../src/agent/actions/open-host-firewall.js";
import { err, FakeFirewalld, ok } from "./fake-firewalld.js";

const CIDR = "10.244.1.0/24";
const K0S: PlannedAction = { action: "OpenHostFirewall", podInterface: "cni0", podCIDR: CIDR, egressZone: "public", service: "k0s-worker" };
const NO_SERVICE: PlannedAction = { action: "OpenHostFirewall", podInterface: "cni0", podCIDR: CIDR, egressZone: "public" };

let fw: FakeFirewalld;
const context = (): ActionContext => ({ host: fw.host, snapshot: { facts: {} as never, existingPaths: new Set() }, targets: {}, now: () => new Date(0) });
const run = (action: PlannedAction = K0S) => runAction(openHostFirewall, action, context());
const bindings = (zone = "trusted") => Object.fromEntries((["runtime", "permanent"] as const).map((s) => [s, fw.scopes[s].zones[zone]]));

beforeEach(() => {
  fw = new FakeFirewalld();
});

describe("OpenHostFirewall firewall-cmd calls", () => {
  it("the k0s incident: 14 calls, the permanent changes first, then one reload brings them to the runtime and the read after it verifies; the revert restores both scopes", async () => {
    const before = structuredClone(fw.scopes);
    const out = await run();
    expect(out.result).toBe("Succeeded");
    expect(fw.calls).toHaveLength(14);
    // The service is created, given its ports and bound in turn, beside the network bindings (two at a time); then one reload.
    const service = ["--permanent --new-service=k0s-worker", "--permanent --service=k0s-worker --add-port=179/tcp --add-port=4789/udp --add-port=10250/tcp", "--permanent --zone=public --add-service=k0s-worker"];
    const network = ["--permanent --zone=trusted --change-interface=cni0", `--permanent --zone=trusted --change-source=${CIDR}`, "--permanent --zone=public --add-masquerade"];
    expect(fw.changes.filter((c) => service.includes(c))).toEqual(service);
    expect([...fw.changes].sort()).toEqual([...service, ...network, "--reload"].sort());
    expect(fw.changes.at(-1)).toBe("--reload");
    for (const scope of ["runtime", "permanent"] as const) {
      expect(fw.scopes[scope].zones.trusted).toMatchObject({ interfaces: ["cni0"], sources: [CIDR] });
      expect(fw.scopes[scope].zones.public).toMatchObject({ masquerade: true, services: ["ssh", "k0s-worker"] });
    }
    fw.calls = [];
    await out.revert?.();
    expect(fw.scopes).toEqual(before);
    // The service goes last, its reload after every permanent binding was undone.
    expect(fw.changes.slice(-2)).toEqual(["--permanent --delete-service=k0s-worker", "--reload"]);
  });

  it("the k0s incident when the facts round saw firewalld running: no --state, 13 calls in 6 waves (reads, three waves of changes, reload, re-read)", async () => {
    const waves = fw.countWaves();
    const out = await runAction(openHostFirewall, K0S, { ...context(), snapshot: { facts: { firewall: { manager: "firewalld", state: "running" } } as never, existingPaths: new Set() } });
    expect(out.result).toBe("Succeeded");
    expect(fw.calls).toHaveLength(13);
    expect(fw.calls).not.toContain("--state");
    expect(waves()).toBe(6);
  });

  it("firewalld stopped since the facts round saw it running: Failed with firewalld's words from the first read, nothing changed", async () => {
    fw.running = false;
    const out = await runAction(openHostFirewall, K0S, { ...context(), snapshot: { facts: { firewall: { manager: "firewalld", state: "running" } } as never, existingPaths: new Set() } });
    expect(out.result).toBe("Failed");
    expect(out.detail).toMatch(/cannot read the zones: .*FirewallD is not running/);
    expect(fw.changes).toEqual([]);
  });

  it("the k0s path: a binding the runtime still misses after the reload is changed there and verified from a fresh read", async () => {
    fw.override = (call) => {
      if (call !== "--reload") return undefined;
      fw.scopes.runtime = structuredClone(fw.scopes.permanent);
      fw.scopes.runtime.zones.public!.masquerade = false; // as if something turned it off right after the reload
      return ok("success\n");
    };
    expect((await run()).result).toBe("Succeeded");
    expect(fw.changes.slice(-2)).toEqual(["--reload", "--zone=public --add-masquerade"]);
    expect(fw.calls.slice(-2)).toEqual(["--list-all-zones", "--permanent --list-all-zones"]);
    expect(fw.calls).toHaveLength(17);
    expect(fw.scopes.runtime.zones.public!.masquerade).toBe(true);
  });

  it("a second run is Skipped with zero change calls: 5 reads (was 11), 3 without a service", async () => {
    await run();
    fw.calls = [];
    expect((await run()).result).toBe("Skipped");
    expect(fw.calls).toEqual(["--state", "--list-all-zones", "--permanent --list-all-zones", "--info-service=k0s-worker", "--permanent --info-service=k0s-worker"]);
    expect(fw.changes).toEqual([]);
    fw.calls = [];
    expect((await run(NO_SERVICE)).result).toBe("Skipped");
    expect(fw.calls).toEqual(["--state", "--list-all-zones", "--permanent --list-all-zones"]);
  });

  it("without a service: 11 calls (state, 2 reads, 6 changes, 2 re-reads)", async () => {
    expect((await run(NO_SERVICE)).result).toBe("Succeeded");
    expect(fw.calls).toHaveLength(11);
  });

  it("only the missing scope is changed (runtime lost to a reload of a runtime-only fix)", async () => {
    fw.scopes.runtime.zones.trusted!.interfaces = ["cni0"];
    fw.scopes.runtime.zones.trusted!.sources = [CIDR];
    fw.scopes.runtime.zones.public!.masquerade = true;
    expect((await run(NO_SERVICE)).result).toBe("Succeeded");
    expect(fw.changes).toEqual(["--permanent --zone=trusted --change-interface=cni0", `--permanent --zone=trusted --change-source=${CIDR}`, "--permanent --zone=public --add-masquerade"]);
  });
});

describe("OpenHostFirewall undo", () => {
  // Without a service: creating one reloads firewalld, which rebuilds the runtime from the permanent
  // config, and the runtime's "previous" zone is then the permanent one.
  it("the revert moves the interface and source back to their previous zone in each scope", async () => {
    fw.scopes.runtime.zones.work!.interfaces = ["cni0"];
    fw.scopes.permanent.zones.internal!.interfaces = ["cni0"];
    fw.scopes.permanent.zones.dmz!.sources = [CIDR];
    const before = structuredClone(fw.scopes);
    const out = await run(NO_SERVICE);
    expect(bindings()).toMatchObject({ runtime: { interfaces: ["cni0"] }, permanent: { interfaces: ["cni0"], sources: [CIDR] } });
    fw.calls = [];
    await out.revert?.();
    expect(fw.scopes).toEqual(before);
    expect(fw.calls).toEqual(expect.arrayContaining(["--zone=work --change-interface=cni0", "--permanent --zone=internal --change-interface=cni0",
      "--permanent --zone=dmz --change-source=10.244.1.0/24", `--zone=trusted --remove-source=${CIDR}`]));
  });

  it("a failure in the permanent scope rolls back the runtime scope's changes too, after every concurrent change settled", async () => {
    fw.scopes.runtime.zones.work!.interfaces = ["cni0"];
    const before = structuredClone(fw.scopes);
    fw.override = (call) => (call === "--permanent --zone=trusted --change-interface=cni0" ? err(254, "COMMAND_FAILED: injected") : undefined);
    const out = await run(NO_SERVICE);
    expect(out).toMatchObject({ result: "Failed", detail: "--permanent --zone=trusted --change-interface=cni0: Error: COMMAND_FAILED: injected; rolled back 5 change(s)" });
    // Every change of both scopes was attempted (the failed one did not stop the others), then the 5 that landed were undone.
    expect(fw.changes.slice(0, 6)).toEqual([
      "--zone=trusted --change-interface=cni0", `--zone=trusted --change-source=${CIDR}`, "--zone=public --add-masquerade",
      "--permanent --zone=trusted --change-interface=cni0", `--permanent --zone=trusted --change-source=${CIDR}`, "--permanent --zone=public --add-masquerade",
    ]);
    expect(fw.changes).toHaveLength(11);
    expect(fw.scopes).toEqual(before);
  });

  it("the k0s path: a permanent change that fails rolls back the other permanent changes and the service, and the undo's reload restores the runtime", async () => {
    fw.scopes.runtime.zones.work!.interfaces = ["cni0"];
    const before = structuredClone(fw.scopes);
    fw.override = (call) => (call === "--permanent --zone=public --add-masquerade" ? err(254, "COMMAND_FAILED: injected") : undefined);
    const out = await run();
    expect(out).toMatchObject({ result: "Failed", detail: "--permanent --zone=public --add-masquerade: Error: COMMAND_FAILED: injected; rolled back 4 change(s)" });
    // No runtime change was made (the reload was to bring them), and the undo ended with the service's reload.
    expect(fw.changes.filter((c) => c.startsWith("--zone="))).toEqual([]);
    expect(fw.changes.at(-1)).toBe("--reload");
    // The runtime-only binding (cni0 in work) is gone: the undo reloads, as creating the service does (docs/architecture.md §8.3).
    expect(fw.scopes.permanent).toEqual(before.permanent);
    expect(fw.scopes.runtime).toEqual(before.permanent);
  });

  it("a service port that fails inside the one --add-port call (a warning, exit 0) fails the action and deletes the service", async () => {
    const before = structuredClone(fw.scopes);
    fw.override = (call) => (call.includes("--add-port=") ? ok("success\n", "Warning: INVALID_PORT: 4789/udp\n") : undefined);
    const out = await run();
    expect(out).toMatchObject({ result: "Failed" });
    expect(out.detail).toContain("Warning: INVALID_PORT: 4789/udp");
    expect(fw.scopes).toEqual(before);
    expect(fw.changes).toContain("--permanent --delete-service=k0s-worker");
  });

  it("a change firewalld says is already in place (a race) is not journaled: the revert leaves it", async () => {
    fw.override = (call) => (call === "--zone=public --add-masquerade" ? ((fw.scopes.runtime.zones.public!.masquerade = true), ok("success\n", "Warning: ALREADY_ENABLED: masquerade\n")) : undefined);
    const out = await run(NO_SERVICE);
    expect(out.result).toBe("Succeeded");
    fw.override = undefined;
    await out.revert?.();
    expect(fw.scopes.runtime.zones.public!.masquerade).toBe(true);
    expect(fw.scopes.permanent.zones.public!.masquerade).toBe(false);
  });

  it("firewalld stopped: Failed after the one --state call, nothing else runs", async () => {
    fw.running = false;
    expect(await run()).toEqual({ result: "Failed", detail: "firewalld is not running: netmedic never starts or stops it" });
    expect(fw.calls).toEqual(["--state"]);
  });
});
