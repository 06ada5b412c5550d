// OpenHostFirewall on the lab worker's real firewalld 1.3, runtime AND permanent, through a
// HostExecutor that counts firewall-cmd processes (each a fresh Python process: the time-to-heal
// bench's cost). Exactly the intended changes and nothing else, a second run Skipped with zero
// changes, an undo that restores every scope's previous state — including a moved interface's and
// source's previous zone — and a rollback of both scopes when a permanent change fails.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import type { PlannedAction } from "../../src/api/index.js";
import { runAction, type ActionContext } from "../../src/agent/actions/action.js";
import { openHostFirewall } from "../../src/agent/actions/open-host-firewall.js";
import { parseZoneListings, type ZoneListing } from "../../src/agent/firewalld-parse.js";
import { HostExecutor, type HostCommandOptions, type HostCommandResult } from "../../src/agent/host-executor.js";
import { startLab, type Lab } from "../support/lab/index.js";

/** The agent's executor, recording each argv (firewall-cmd's arguments). */
class CountingExecutor extends HostExecutor {
  calls: string[] = [];
  override run(argv: readonly string[], options?: HostCommandOptions): Promise<HostCommandResult> {
    this.calls.push(argv.slice(1).join(" "));
    return super.run(argv, options);
  }
  /** Calls that change something (not --state, --list-all-zones, --info-service, --get-*). */
  get changes(): string[] {
    return this.calls.filter((c) => !/^(--permanent )?(--state|--list-all-zones|--info-service=|--get-)/.test(c));
  }
}

type Scoped<T> = { runtime: T; permanent: T };

describe("OpenHostFirewall on the real firewalld (runtime and permanent)", () => {
  let lab: Lab;
  let host: CountingExecutor;
  let cidr: string;
  const fw = async (...argv: string[]) => lab.execIn("worker", ["firewall-cmd", ...argv]);
  const listings = async (): Promise<Scoped<string>> => ({ runtime: (await fw("--list-all-zones")).stdout, permanent: (await fw("--permanent", "--list-all-zones")).stdout });
  const zones = async (): Promise<Scoped<Map<string, ZoneListing>>> => {
    const text = await listings();
    return { runtime: parseZoneListings(text.runtime), permanent: parseZoneListings(text.permanent) };
  };
  const run = (action: PlannedAction) => {
    const context: ActionContext = { host, snapshot: { facts: { collectedAt: new Date(0).toISOString() }, existingPaths: new Set() }, targets: {}, now: () => new Date() };
    return runAction(openHostFirewall, action, context);
  };
  const k0s = (): PlannedAction => ({ action: "OpenHostFirewall", podInterface: "cni0", podCIDR: cidr, egressZone: "public", service: "k0s-worker" });

  beforeAll(async () => {
    lab = await startLab({ ipForward: 0, bridgeNfCallIptables: 0 });
    host = new CountingExecutor(lab.workerPid);
    cidr = lab.addresses.podCIDR;
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  beforeEach(() => {
    host.calls = [];
  });

  it("k0s incident: 14 firewall-cmd calls (permanent changes, then one reload for the runtime, one read to verify), exactly the intended changes in both scopes, Skipped again with 0 changes, exact undo", async () => {
    const before = await listings();
    const out = await run(k0s());
    expect(out.result).toBe("Succeeded");
    expect(host.calls).toHaveLength(14);
    const after = await zones();
    for (const scope of ["runtime", "permanent"] as const) {
      // Everything else is as it was: only trusted and public differ, by exactly these bindings.
      const expected = parseZoneListings(before[scope]);
      const trusted = expected.get("trusted") as ZoneListing;
      const pub = expected.get("public") as ZoneListing;
      expected.set("trusted", { ...trusted, interfaces: ["cni0"], sources: [cidr] });
      expected.set("public", { ...pub, masquerade: true, services: [...pub.services, "k0s-worker"].sort() });
      expect(after[scope]).toEqual(expected);
    }
    host.calls = [];
    expect((await run(k0s())).result).toBe("Skipped");
    expect(host.calls).toHaveLength(5);
    expect(host.changes).toEqual([]);
    await out.revert?.();
    expect(await listings()).toEqual(before);
    expect((await fw("--permanent", "--info-service=k0s-worker")).stderr).toContain("INVALID_SERVICE");
    expect((await fw("--info-service=k0s-worker")).stderr).toContain("INVALID_SERVICE");
  }, 90_000);

  it("a moved interface and source: the undo restores each scope's previous zone", async () => {
    expect((await fw("--zone=work", "--change-interface=cni0")).code).toBe(0);
    expect((await fw("--permanent", "--zone=internal", "--change-interface=cni0")).code).toBe(0);
    expect((await fw("--permanent", "--zone=dmz", "--change-source", cidr)).code).toBe(0);
    const before = await listings();
    host.calls = [];
    const out = await run({ action: "OpenHostFirewall", podInterface: "cni0", podCIDR: cidr, egressZone: "public" });
    expect(out.result).toBe("Succeeded");
    expect(host.calls).toHaveLength(11);
    for (const scope of [[], ["--permanent"]]) {
      expect((await fw(...scope, "--get-zone-of-interface=cni0")).stdout.trim()).toBe("trusted");
      expect((await fw(...scope, `--get-zone-of-source=${cidr}`)).stdout.trim()).toBe("trusted");
    }
    await out.revert?.();
    expect(await listings()).toEqual(before);
    expect((await fw("--get-zone-of-interface=cni0")).stdout.trim()).toBe("work");
    expect((await fw("--permanent", "--get-zone-of-interface=cni0")).stdout.trim()).toBe("internal");
    expect((await fw("--permanent", `--get-zone-of-source=${cidr}`)).stdout.trim()).toBe("dmz");
    expect((await fw(`--get-zone-of-source=${cidr}`)).stderr.trim()).toBe("no zone");
  }, 90_000);

  it("a change firewalld refuses in the permanent scope fails the action and rolls back the runtime's changes too", async () => {
    // A zone that exists at runtime only (created, loaded, then deleted from the permanent config):
    // every runtime change works, the permanent masquerade on it is refused.
    for (const argv of [["--permanent", "--new-zone=halfzone"], ["--reload"], ["--permanent", "--delete-zone=halfzone"]]) expect((await fw(...argv)).code).toBe(0);
    const before = await listings();
    const out = await run({ action: "OpenHostFirewall", podInterface: "cni0", podCIDR: cidr, egressZone: "halfzone" });
    expect(out.result).toBe("Failed");
    expect(out.detail).toMatch(/^--permanent --zone=halfzone --add-masquerade: Error: INVALID_ZONE: .*; rolled back 5 change\(s\)$/);
    expect(await listings()).toEqual(before);
  }, 90_000);
});
