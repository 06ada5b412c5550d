// readFirewalld's process plan against the in-memory firewalld: with `together` only the two reads
// run, at once, and --state only after one failed (stopped → facts, running → the read's error);
// without it a stopped firewalld costs the one --state call (the facts round passes `together` only
// after it saw firewalld run).
import { describe, expect, it } from "@jest/globals";
import { readFirewalld } from "../../../src/agent/firewalld-facts.js";
import { FakeFirewalld } from "./fake-firewalld.js";

const POD = { interface: "cni0", cidr: "10.244.1.0/24" };

describe("readFirewalld", () => {
  it.each([
    [false, ["--get-default-zone", "--list-all-zones", "--state"]],
    [true, ["--get-default-zone", "--list-all-zones"]],
  ])("running (together=%s): the same facts, from %j", async (together, calls) => {
    const fw = new FakeFirewalld();
    fw.scopes.runtime.zones.trusted!.interfaces = ["cni0"];
    const view = await readFirewalld(fw.host, POD, undefined, together);
    expect(view.facts).toMatchObject({ manager: "firewalld", state: "running", defaultZone: "public", podInterfaceZone: "trusted", podTrafficTrusted: true });
    expect(fw.calls.sort()).toEqual(calls);
  });

  it("together: both reads start at once, no --state", async () => {
    const fw = new FakeFirewalld();
    const started: string[] = [];
    const answers: Array<() => void> = [];
    const host = { run: (argv: readonly string[]) => {
      started.push(argv[1] ?? "");
      const result = fw.run(argv);
      return new Promise((resolve) => answers.push(() => resolve(result)));
    } } as unknown as typeof fw.host;
    const view = readFirewalld(host, POD, undefined, true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["--get-default-zone", "--list-all-zones"]);
    for (const answer of answers) answer();
    expect((await view).facts.state).toBe("running");
  });

  it("stopped: notRunning, not an error — one call without `together`, the two failed reads and --state with it", async () => {
    for (const [together, calls] of [[false, 1], [true, 3]] as const) {
      const fw = new FakeFirewalld();
      fw.running = false;
      expect(await readFirewalld(fw.host, POD, undefined, together)).toEqual({ facts: { manager: "firewalld", state: "notRunning" } });
      expect(fw.calls).toHaveLength(calls);
    }
  });

  it("not installed (the reads cannot start): manager none, from --state after the failed reads", async () => {
    const missing = { code: 127, stdout: "", stderr: "failed to execute firewall-cmd: No such file or directory\n", timedOut: false };
    const host = { run: async () => missing } as unknown as FakeFirewalld["host"];
    expect(await readFirewalld(host, POD, undefined, true)).toEqual({ facts: { manager: "none", state: "notInstalled" } });
  });

  it("running but the listing fails: the reader fails with it", async () => {
    const fw = new FakeFirewalld();
    fw.override = (call) => (call === "--list-all-zones" ? { code: 1, stdout: "", stderr: "Error: boom\n", timedOut: false } : undefined);
    await expect(readFirewalld(fw.host, POD, undefined, true)).rejects.toThrow(/boom|exit/);
    expect(fw.calls.sort()).toEqual(["--get-default-zone", "--list-all-zones", "--state"]);
  });
});
