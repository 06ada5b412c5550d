// The report-only rows of issue 19 on the node lab, with real tools in the lab worker's own network
// namespace: (1) the healthy k3s lab node is all-True on the four checks (no misfire); (2) a real
// VXLAN link sized for eth0, then eth0 shrunk under it: OverlayMTU TooLargeForUnderlay; (3) real
// KUBE-* rules in both iptables-nft and iptables-legacy: IptablesBackends BothBackendsHoldKubeRules;
// (4) k3s' resolv-conf pointed at a file naming 127.0.0.53 in the lab's scratch /etc: KubeletDNS
// LoopbackNameserver; (5) real conntrack entries, UDP on loopback, to ≥ 90 % of nf_conntrack_max:
// ConntrackTable NearlyFull. The kernel makes nf_conntrack_max read-only outside the initial network
// namespace, so the table is filled up to the machine's max rather than the max lowered; the count is
// the lab namespace's own. Nothing is ever ordered: these rows are report only.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { NetworkHealth } from "../../src/api/index.js";
import type { Agent } from "../../src/agent/agent.js";
import { startLab, type Lab } from "../support/lab/index.js";
import { captureLogger, machineState, MemoryNetworkHealthStore, startLabAgent } from "./agent-support.js";
import { diagnoseLabNode, inWorker, makeK3sUfwNode, reasons } from "./ufw-node.js";

const FLOOD = fileURLToPath(new URL("./report-only-flood.mjs", import.meta.url));
const MACHINE_MAX = Number(readFileSync("/proc/sys/net/netfilter/nf_conntrack_max", "utf8").trim());

describe("agent on a k3s lab node: conntrack fill, iptables backends, kubelet DNS and overlay MTU read for real", () => {
  let lab: Lab;
  let agent: Agent;
  let store: MemoryNetworkHealthStore;
  let before: Record<string, unknown>;
  const { logger } = captureLogger();
  const facts = () => store.object?.status?.facts;
  const diagnosis = () => diagnoseLabNode(lab, store.object as NetworkHealth);

  beforeAll(async () => {
    before = await machineState();
    lab = await startLab({ firewalld: false, ipForward: 1, bridgeNfCallIptables: 1 });
    await makeK3sUfwNode(lab);
    await lab.writeFile("/etc/resolv.conf", `nameserver ${lab.addresses.control}\n`);
    ({ agent, store } = await startLabAgent(lab, logger));
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it("the healthy lab node: all four True, Ready Healthy (no misfire)", async () => {
    await agent.round();
    expect(facts()?.errors ?? []).toEqual([]);
    expect(facts()?.conntrack).toEqual({ max: MACHINE_MAX, usedPercent: 0 });
    expect(facts()?.iptablesBackends?.nft.kubeOwners).toEqual([]);
    expect(facts()?.kubeletDNS).toEqual({ resolvConf: "/etc/resolv.conf", source: "k3s default", nameservers: [lab.addresses.control] });
    expect(facts()?.overlayMTU).toEqual({ links: [] });
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", ConntrackTable: "Room", IptablesBackends: "OneBackend", KubeletDNS: "NoLoopbackNameserver", OverlayMTU: "NoOverlayLink" });
  }, 60_000);

  it("a real VXLAN link on eth0: Fits; eth0 shrunk to 1450 under it: TooLargeForUnderlay with both MTUs", async () => {
    await inWorker(lab, "ip", "link", "add", "flannel.1", "type", "vxlan", "id", "1", "dstport", "8472", "local", lab.addresses.workerUplink, "dev", "eth0");
    await agent.round();
    expect(facts()?.overlayMTU?.links).toEqual([{ name: "flannel.1", kind: "vxlan", mtu: 1450, underlay: "eth0", underlayMTU: 1500 }]);
    expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", OverlayMTU: "Fits" });
    await inWorker(lab, "ip", "link", "set", "eth0", "mtu", "1450");
    await agent.round();
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Degraded", OverlayMTU: "TooLargeForUnderlay" });
    expect(d.checks.OverlayMTU.evidence).toEqual(["flannel.1 (vxlan) mtu 1450 + 50 overhead; eth0 mtu 1450"]);
    expect(d.checks.OverlayMTU.message).toContain("flannel.1 needs mtu ≤ 1400");
    expect(d.fixes).toEqual([]);
    expect(d.noFixReason).toBe("OverlayMTU is report only: the overlay MTU is the CNI's setting");
    await inWorker(lab, "ip", "link", "set", "eth0", "mtu", "1500");
    await inWorker(lab, "ip", "link", "del", "flannel.1");
  }, 60_000);

  it("KUBE-* rules in iptables-nft only: OneBackend; in iptables-legacy too: BothBackendsHoldKubeRules", async () => {
    for (const tool of ["iptables-nft", "iptables-legacy"]) {
      await inWorker(lab, tool, "-t", "nat", "-N", "KUBE-SERVICES");
      await inWorker(lab, tool, "-t", "nat", "-A", "KUBE-SERVICES", "-d", "10.43.0.1/32", "-p", "tcp", "--dport", "443", "-j", "RETURN");
      await agent.round();
      if (tool === "iptables-nft") expect(reasons(diagnosis())).toMatchObject({ Ready: "Healthy", IptablesBackends: "OneBackend" });
    }
    expect(facts()?.iptablesBackends).toEqual({ legacy: { hasRules: true, kubeOwners: ["kube"] }, nft: { hasRules: true, kubeOwners: ["kube"] } });
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Degraded", IptablesBackends: "BothBackendsHoldKubeRules" });
    expect(d.checks.IptablesBackends.evidence).toEqual(["iptables-legacy-save: rules in kube chains", "iptables-nft-save: rules in kube chains"]);
    expect(d.fixes).toEqual([]);
    await inWorker(lab, "iptables-legacy", "-t", "nat", "-F", "KUBE-SERVICES");
    await inWorker(lab, "iptables-legacy", "-t", "nat", "-X", "KUBE-SERVICES");
    await agent.round();
    expect(reasons(diagnosis())).toMatchObject({ IptablesBackends: "OneBackend" });
  }, 60_000);

  it("k3s' resolv-conf set to a file naming systemd-resolved's stub: LoopbackNameserver, the file and source quoted", async () => {
    const config = await lab.readFile("/etc/rancher/k3s/config.yaml");
    await lab.writeFile("/etc/netmedic-lab-stub-resolv.conf", "# systemd-resolved stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\n");
    await lab.writeFile("/etc/rancher/k3s/config.yaml", `${config.trimEnd()}\nkubelet-arg:\n  - "resolv-conf=/etc/netmedic-lab-stub-resolv.conf"\n`, 0o600);
    await agent.round();
    const d = diagnosis();
    expect(reasons(d)).toMatchObject({ Ready: "Degraded", KubeletDNS: "LoopbackNameserver" });
    expect(d.checks.KubeletDNS.evidence).toEqual(["kubelet resolvConf /etc/netmedic-lab-stub-resolv.conf (/etc/rancher/k3s/config.yaml): nameserver 127.0.0.53"]);
    expect(JSON.stringify(store.object?.status)).not.toContain("Ufw-Lab-Secret");
    await lab.writeFile("/etc/rancher/k3s/config.yaml", config, 0o600);
    await agent.round();
    expect(reasons(diagnosis())).toMatchObject({ KubeletDNS: "NoLoopbackNameserver" });
  }, 60_000);

  it("real conntrack entries to ≥ 90 % of nf_conntrack_max: NearlyFull with the fill and the max", async () => {
    await inWorker(lab, "sysctl", "-w", "net.netfilter.nf_conntrack_udp_timeout=300");
    const entries = Math.ceil(MACHINE_MAX * 0.91);
    const sent = await lab.execIn("worker", [process.execPath, "--input-type=module", "-e", readFileSync(FLOOD, "utf8"), String(entries)], { timeoutMs: 240_000 });
    expect(sent.stdout).toBe("sent\n");
    expect(Number((await lab.readSysctl("net.netfilter.nf_conntrack_count")).trim())).toBeGreaterThanOrEqual(Math.ceil(MACHINE_MAX * 0.9));
    await agent.round();
    const d = diagnosis();
    expect(facts()?.conntrack).toEqual({ max: MACHINE_MAX, usedPercent: 90 });
    expect(reasons(d)).toMatchObject({ Ready: "Degraded", ConntrackTable: "NearlyFull" });
    expect(d.checks.ConntrackTable.evidence).toEqual([`nf_conntrack_count is ≥ 90 % of nf_conntrack_max ${MACHINE_MAX}`]);
    expect(d.fixes).toEqual([]);
    expect(d.noFixReason).toBe("ConntrackTable is report only: kube-proxy owns nf_conntrack_max");
    await inWorker(lab, "conntrack", "-F");
  }, 300_000);

  it("this machine's network, sysctls and /etc never changed", async () => {
    expect(Number(readFileSync("/proc/sys/net/netfilter/nf_conntrack_max", "utf8").trim())).toBe(MACHINE_MAX);
    expect(await machineState()).toEqual(before);
  });
});
