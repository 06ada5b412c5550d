// The agent's rp_filter reader on the kernel's own formats (recorded on this image's 6.x kernel):
// `grep -r -H ^` over /proc/sys/net/ipv4/conf and the TcpExt lines of /proc/net/netstat — which
// links count as pod-facing, the cut at maxItems, and the validation of LoosenReversePathFilter's links.
import { describe, expect, it } from "@jest/globals";
import { MAX_RP_FILTER_LINKS } from "../../../src/api/index.js";
import { parseReversePathDrops, parseRpFilters, rpFilterFacts, rpFilterRef } from "../../../src/agent/rp-filter.js";
import { InvalidParameterError } from "../../../src/agent/validate.js";

const GREP = [
  "/proc/sys/net/ipv4/conf/all/rp_filter:0", "/proc/sys/net/ipv4/conf/default/rp_filter:1", "/proc/sys/net/ipv4/conf/eth0/rp_filter:1",
  "/proc/sys/net/ipv4/conf/lo/rp_filter:0", "/proc/sys/net/ipv4/conf/cni0/rp_filter:1", "/proc/sys/net/ipv4/conf/flannel.1/rp_filter:0",
  "/proc/sys/net/ipv4/conf/veth3f2a1b/rp_filter:0", "",
].join("\n");

const NETSTAT = [
  "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPHPHits IPReversePathFilter TCPTimeWaitOverflow",
  "TcpExt: 0 0 0 0 0 0 0 0 0 0 3 0 0 0 0 12 0 0 0 0 40 7 0",
  "IpExt: InNoRoutes InTruncatedPkts",
  "IpExt: 0 0",
].join("\n");

describe("rp_filter facts", () => {
  it("keeps all, default and the pod-facing links (not the uplink, not lo), strict ones first", () => {
    expect(rpFilterFacts(parseRpFilters(GREP), "cni0")).toEqual({
      all: 0, default: 1, links: [{ name: "cni0", value: 1 }, { name: "flannel.1", value: 0 }, { name: "veth3f2a1b", value: 0 }], linkCount: 3,
    });
  });

  it("a pod interface outside the CNI names counts when the operator names it", () => {
    const values = parseRpFilters("/proc/sys/net/ipv4/conf/all/rp_filter:2\n/proc/sys/net/ipv4/conf/default/rp_filter:2\n/proc/sys/net/ipv4/conf/br-pods/rp_filter:1\n");
    expect(rpFilterFacts(values, "br-pods").links).toEqual([{ name: "br-pods", value: 1 }]);
    expect(rpFilterFacts(values).links).toEqual([]);
  });

  it(`cuts the list at ${MAX_RP_FILTER_LINKS} and still counts every link`, () => {
    const lines = ["all/rp_filter:0", "default/rp_filter:0", ...Array.from({ length: 100 }, (_, i) => `lxc${String(i).padStart(3, "0")}/rp_filter:${i === 77 ? 1 : 0}`)];
    const facts = rpFilterFacts(parseRpFilters(lines.map((l) => `/proc/sys/net/ipv4/conf/${l}`).join("\n")));
    expect(facts.links).toHaveLength(MAX_RP_FILTER_LINKS);
    expect(facts.links?.[0]).toEqual({ name: "lxc077", value: 1 });
    expect(facts.linkCount).toBe(100);
  });

  it("no IPv4 conf (all/default missing) is an error, not a guess", () => {
    expect(() => rpFilterFacts(parseRpFilters(""))).toThrow("/proc/sys/net/ipv4/conf/{all,default}/rp_filter not readable");
  });

  it("reads IPReversePathFilter from the TcpExt lines", () => {
    expect(parseReversePathDrops(NETSTAT)).toBe(7);
    expect(parseReversePathDrops("IpExt: InNoRoutes\nIpExt: 0\n")).toBeUndefined();
  });

  it("LoosenReversePathFilter's link names are validated before they reach sysctl", () => {
    expect(rpFilterRef("flannel.1")).toEqual({ key: "net.ipv4.conf.flannel/1.rp_filter", path: "/proc/sys/net/ipv4/conf/flannel.1/rp_filter" });
    expect(rpFilterRef("all").key).toBe("net.ipv4.conf.all.rp_filter");
    for (const bad of ["../all", "cni0 x", "-w", "a".repeat(16)]) expect(() => rpFilterRef(bad)).toThrow(InvalidParameterError);
  });
});
