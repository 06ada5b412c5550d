// The agent's VXLAN offload reading: parsers of ip/ethtool//proc/net/snmp output as the real tools
// print it, an unknown setting never read as "off" (ethtool missing → an error, the fact left out),
// the udev rule's form, and the action's undo as data a later agent can replay.
import { describe, expect, it } from "@jest/globals";
import type { HostCommandResult, HostExecutor } from "../../../src/agent/host-executor.js";
import { parseOffload, parseUdpChecksumErrors, parseVXLANLinks, readVXLANChecksum } from "../../../src/agent/vxlan-offload.js";
import { ruleFile, ruleLinks } from "../../../src/agent/actions/disable-vxlan-offload.js";
import { validUndoStep } from "../../../src/agent/actions/undo-steps.js";

// As iproute2 6.1 and ethtool 6.1 print them (verified here on a vxlan link in a network namespace).
const IP_LINKS = `4: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default \\    link/ether 0e:c3:9e:33:2e:fa brd ff:ff:ff:ff:ff:ff promiscuity 0 \\    vxlan id 1 local 10.99.0.2 dev eth0 srcport 0 0 dstport 8472
9: vxlan.calico@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN \\    vxlan id 4096 dstport 4789
`;
const ETHTOOL = (generic: string) => `Features for flannel.1:
rx-checksumming: on
tx-checksumming: on
\ttx-checksum-ipv4: off [fixed]
\ttx-checksum-ip-generic: ${generic}
\ttx-checksum-ipv6: off [fixed]
`;
const SNMP = (errors: number) => `Ip: Forwarding DefaultTTL
Ip: 1 64
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 0 0 ${errors} 0 0 0 ${errors} 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 0 0 0 0 0
`;

const ok = (stdout: string): HostCommandResult => ({ code: 0, stdout, stderr: "" }) as HostCommandResult;
/** A host answering by program; every argv is recorded. */
function fakeHost(answers: Record<string, HostCommandResult>): { host: HostExecutor; calls: string[] } {
  const calls: string[] = [];
  const run = async (argv: readonly string[]) => {
    calls.push(argv.join(" "));
    return answers[argv[0] ?? ""] ?? { code: 1, stdout: "", stderr: "unexpected" };
  };
  return { host: { run } as unknown as HostExecutor, calls };
}

describe("parsers", () => {
  it("VXLAN link names, with and without @lower", () => {
    expect(parseVXLANLinks(IP_LINKS)).toEqual(["flannel.1", "vxlan.calico"]);
    expect(parseVXLANLinks("")).toEqual([]);
  });

  it.each([
    ["on", true], ["off", false], ["on [fixed]", true], ["off [requested on]", false],
  ])("tx-checksum-ip-generic: %s", (value, expected) => {
    expect(parseOffload(ETHTOOL(value))).toBe(expected);
  });

  it("a feature ethtool does not list is unknown, never off", () => {
    expect(parseOffload("Features for lo:\nrx-checksumming: on [fixed]\n")).toBeUndefined();
  });

  it("InCsumErrors of the Udp: lines (not UdpLite's); absent → undefined", () => {
    expect(parseUdpChecksumErrors(SNMP(3))).toBe(3);
    expect(parseUdpChecksumErrors(SNMP(0))).toBe(0);
    expect(parseUdpChecksumErrors("Ip: Forwarding\nIp: 1\n")).toBeUndefined();
  });
});

describe("readVXLANChecksum", () => {
  it("reads each link with ethtool and the error counter", async () => {
    const { host } = fakeHost({ ip: ok(IP_LINKS), ethtool: ok(ETHTOOL("on")), cat: ok(SNMP(2)) });
    expect(await readVXLANChecksum(host)).toEqual({
      links: [{ name: "flannel.1", txChecksumOffload: true }, { name: "vxlan.calico", txChecksumOffload: true }], udpChecksumErrors: true,
    });
  });

  it("no VXLAN link needs no ethtool; an unreadable /proc/net/snmp leaves the counter out", async () => {
    const { host, calls } = fakeHost({ ip: ok(""), cat: { code: 1, stdout: "", stderr: "denied" } as HostCommandResult });
    expect(await readVXLANChecksum(host)).toEqual({ links: [] });
    expect(calls.some((c) => c.startsWith("ethtool"))).toBe(false);
  });

  it("ethtool missing with a VXLAN link present: an error (the fact becomes unknown), never 'off'", async () => {
    const missing = { code: 127, stdout: "", stderr: "nsenter: failed to execute ethtool: No such file or directory" } as HostCommandResult;
    const { host } = fakeHost({ ip: ok(IP_LINKS), ethtool: missing, cat: ok(SNMP(0)) });
    await expect(readVXLANChecksum(host)).rejects.toThrow("ethtool is not installed on the host");
  });
});

describe("the udev rule and the undo", () => {
  it("one rule per link, sorted and deduplicated; read back by its KERNEL match", () => {
    const text = ruleFile(["vxlan.calico", "flannel.1", "flannel.1"], "/usr/sbin/ethtool");
    expect(text.split("\n").slice(1)).toEqual([
      'ACTION=="add", SUBSYSTEM=="net", KERNEL=="flannel.1", RUN+="/usr/sbin/ethtool -K %k tx-checksum-ip-generic off"',
      'ACTION=="add", SUBSYSTEM=="net", KERNEL=="vxlan.calico", RUN+="/usr/sbin/ethtool -K %k tx-checksum-ip-generic off"',
      "",
    ]);
    expect([...ruleLinks(text)]).toEqual(["flannel.1", "vxlan.calico"]);
    expect(ruleLinks(undefined).size).toBe(0);
  });

  it("the runtime undo is a command step a restarted agent accepts (ethtool is allowlisted)", () => {
    const step = { kind: "command", argv: ["ethtool", "-K", "flannel.1", "tx-checksum-ip-generic", "on"] };
    expect(validUndoStep(step)).toEqual(step);
  });
});
