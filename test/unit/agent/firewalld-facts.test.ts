// readFirewalld's process plan against the in-memory firewalld: with `together` the state and both
// reads start at once and the reads' failures count only when firewalld runs; without it a stopped
// firewalld costs the one --state call (the facts round passes `together` only after it saw firewalld run).
import { describe, expect, it } from "@jest/globals";
import { readFirewalld } from "../../../src/agent/firewalld-facts.js";
import { FakeFirewalld } from "./fake-firewalld.js";

const POD = { interface: "cni0", cidr: "10.244.1.0/24" };

describe("readFirewalld", () => {
  it.each([false, true])("running (together=%s): the same facts from --state, --get-default-zone and --list-all-zones", async (together) => {
    const fw = new FakeFirewalld();
    fw.scopes.runtime.zones.trusted!.interfaces = ["cni0"];
    const view = await readFirewalld(fw.host, POD, undefined, together);
    expect(view.facts).toMatchObject({ manager: "firewalld", state: "running", defaultZone: "public", podInterfaceZone: "trusted", podTrafficTrusted: true });
    expect(fw.calls.sort()).toEqual(["--get-default-zone", "--list-all-zones", "--state"]);
  });

  it("together: all three start before --state answers", async () => {
    const fw = new FakeFirewalld();
    const started: string[] = [];
    let answerState: () => void = () => undefined;
    const host = { run: (argv: readonly string[]) => {
      started.push(argv[1] ?? "");
      const result = fw.run(argv);
      return argv[1] === "--state" ? new Promise((resolve) => { answerState = () => resolve(result); }) : Promise.resolve(result);
    } } as unknown as typeof fw.host;
    const view = readFirewalld(host, POD, undefined, true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["--get-default-zone", "--list-all-zones", "--state"]);
    answerState();
    expect((await view).facts.state).toBe("running");
  });

  it("stopped: notRunning, not an error — one call without `together`, the failed reads ignored with it", async () => {
    for (const together of [false, true]) {
      const fw = new FakeFirewalld();
      fw.running = false;
      expect(await readFirewalld(fw.host, POD, undefined, together)).toEqual({ facts: { manager: "firewalld", state: "notRunning" } });
      expect(fw.calls).toHaveLength(together ? 3 : 1);
    }
  });

  it("running but the listing fails: the reader fails with it", async () => {
    const fw = new FakeFirewalld();
    fw.override = (call) => (call === "--list-all-zones" ? { code: 1, stdout: "", stderr: "Error: boom\n", timedOut: false } : undefined);
    await expect(readFirewalld(fw.host, POD, undefined, true)).rejects.toThrow(/boom|exit/);
  });
});
