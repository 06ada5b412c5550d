// The re-point's second confirmation: the kubelet's Lease renewed after the change confirms; a Lease
// not renewed, missing or unreadable (an error, or no answer) until the deadline does not, and the
// detail says which — all within the deadline.
import { describe, expect, it } from "@jest/globals";
import { confirmHeartbeat, type NodeLeaseReader } from "../../../../src/agent/checkpoint/heartbeat.js";

const clock = () => new Date();
const NODE = "worker-1";

/** A reader whose answers follow `answer(n)` for the n-th read (0-based); records how many reads were made. */
function reader(answer: (n: number, since: Date) => Promise<string | undefined>, since: Date): NodeLeaseReader & { reads: number } {
  const leases = {
    reads: 0,
    nodeLeaseRenewTime: async (node: string) => {
      expect(node).toBe(NODE);
      return answer(leases.reads++, since);
    },
  };
  return leases;
}

const after = (since: Date, ms: number) => new Date(since.getTime() + ms).toISOString().replace("Z", "456Z"); // MicroTime: 6 fraction digits
const never = () => new Promise<undefined>(() => undefined);

describe("confirmHeartbeat: a re-point is confirmed by the kubelet's Lease renewing after the change", () => {
  it.each<[string, (n: number, since: Date) => Promise<string | undefined>, number, boolean, RegExp]>([
    ["renewed after the change: confirmed at once", async (_n, since) => after(since, 5), 3000, true, /^the kubelet renewed its Lease kube-node-lease\/worker-1 at /],
    ["renewed on the third read: confirmed then", async (n, since) => after(since, n >= 2 ? 5 : -5000), 9000, true, /renewed its Lease/],
    ["last renewed before the change: not confirmed", async (_n, since) => after(since, -5000), 1500, false, /^the kubelet did not renew its Lease kube-node-lease\/worker-1 after the change \(last renewed .*\)$/],
    ["no Lease: not confirmed", async () => undefined, 1500, false, /after the change \(no Lease\)$/],
    ["403 from the apiserver: not confirmed, the error said", async () => Promise.reject(Object.assign(new Error("HTTP 403: leases is forbidden"), { code: 403 })), 1500, false, /\(cannot read it: HTTP 403: leases is forbidden\)$/],
    ["no answer at all: not confirmed, bounded by the deadline", never, 1500, false, /\(cannot read it: no answer within \d+ ms\)$/],
  ])("%s", async (_name, answer, timeoutMs, confirmed, detail) => {
    const since = clock();
    const leases = reader(answer, since);
    const started = Date.now();
    const result = await confirmHeartbeat(leases, NODE, since, new Date(since.getTime() + timeoutMs), clock);
    expect(result.confirmed).toBe(confirmed);
    expect(result.detail).toMatch(detail);
    expect(Date.now() - started).toBeLessThan(timeoutMs + 500);
    expect(leases.reads).toBeGreaterThan(0);
  }, 15_000);

  it("stops early when the agent is stopping", async () => {
    const since = clock();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const result = await confirmHeartbeat(reader(async () => undefined, since), NODE, since, new Date(since.getTime() + 10_000), clock, stop.signal);
    expect(result).toEqual({ confirmed: false, detail: "no Lease (agent stopping)" });
  });
});
