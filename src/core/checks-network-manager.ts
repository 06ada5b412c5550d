/**
 * NetworkManager: NM that manages a CNI's links takes them over — it runs DHCP on pod veths, flushes
 * addresses and routes the CNI set, and drops host↔pod replies (rke2 #1053, #1670; k3s #3791; calico
 * #4662) — and nm-cloud-setup (enabled on RHEL-family cloud images) adds policy-routing rules that
 * send pod replies out of the wrong table. The fix is NM's own `[keyfile] unmanaged-devices` for the
 * CNI's link names, and nm-cloud-setup's service and timer disabled. Judged from NM's configuration,
 * not from the links present now: a pod's cali* veth appears later and NM takes it at once. Pure.
 */
import type { NetworkManagerFacts } from "../api/index.js";
import type { CheckResult, NodeContext } from "./findings.js";
import { unknownCheck } from "./findings.js";

/** The CNI link names NM must leave alone, each with a name a real link of that kind has. */
export const CNI_LINK_SPECS: ReadonlyArray<readonly [spec: string, sample: string]> = [
  ["interface-name:cali*", "cali0123456789a"],
  ["interface-name:flannel*", "flannel.1"],
  ["interface-name:cni0", "cni0"],
  ["interface-name:kube-bridge", "kube-bridge"],
  ["interface-name:vxlan.calico", "vxlan.calico"],
  ["interface-name:tunl*", "tunl0"],
];

/** A glob of NM's device specs (`*` and `?`) as a whole-name RegExp. */
function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return new RegExp(`^${body}$`);
}

/** Whether one of the unmanaged-devices specs covers a link name (`interface-name:` forms; others cannot name a future link). */
export function specCovers(specs: readonly string[], name: string): boolean {
  return specs.some((spec) => {
    const glob = /^interface-name:([=~]?)(.+)$/.exec(spec.trim());
    if (!glob?.[2]) return false;
    return glob[1] === "=" ? glob[2] === name : globRegExp(glob[2]).test(name);
  });
}

/** The CNI specs NM's configuration does not leave unmanaged (what UnmanageCNILinks adds). */
export function managedCNISpecs(facts: NetworkManagerFacts): string[] {
  return CNI_LINK_SPECS.filter(([, sample]) => !specCovers(facts.unmanagedDevices ?? [], sample)).map(([spec]) => spec);
}

const verdict = (status: CheckResult["status"], reason: string, message: string, evidence: string[]): CheckResult =>
  ({ type: "NetworkManager", status, reason, message, evidence });

function evidenceOf(facts: NetworkManagerFacts, managed: readonly string[]): string[] {
  const specs = facts.unmanagedDevices ?? [];
  return [
    `NetworkManager.service: ${facts.state}`,
    `[keyfile] unmanaged-devices: ${specs.length ? specs.join(";") : "(none)"}`,
    ...(managed.length ? [`CNI links NetworkManager would manage: ${managed.map((s) => s.replace("interface-name:", "")).join(", ")}`] : []),
    ...(facts.cloudSetupEnabled?.length ? [`enabled: ${facts.cloudSetupEnabled.join(", ")}`] : []),
  ];
}

/**
 * NetworkManager: True when NM is not installed or not running, or leaves every CNI link name
 * unmanaged with nm-cloud-setup off; False when running NM would manage a CNI link
 * (ManagingCNILinks) or nm-cloud-setup is enabled (CloudSetupEnabled); Unknown without facts.
 */
export function checkNetworkManager(context: NodeContext): CheckResult {
  const facts = context.facts?.networkManager;
  if (!facts) {
    const why = context.facts ? "NetworkManager was not reported (facts.errors says why; agents older than this check report none)" : "no host facts reported by the netmedic agent on this node";
    return unknownCheck("NetworkManager", why);
  }
  if (facts.state !== "active") return verdict("True", "NotRunning", `NetworkManager is ${facts.state === "notInstalled" ? "not installed" : "not running"}: it manages no link`, [`NetworkManager.service: ${facts.state}`]);
  const managed = managedCNISpecs(facts);
  const cloud = facts.cloudSetupEnabled ?? [];
  const evidence = evidenceOf(facts, managed);
  if (managed.length) {
    const also = cloud.length ? `; ${cloud.join(" and ")} enabled too` : "";
    return verdict("False", "ManagingCNILinks", `NetworkManager runs and does not leave the CNI's links unmanaged (${managed.map((s) => s.replace("interface-name:", "")).join(", ")}): it can take pod links over and drop host↔pod replies${also}`, evidence);
  }
  if (cloud.length) return verdict("False", "CloudSetupEnabled", `${cloud.join(" and ")} enabled: its policy-routing rules can send pod replies out of the wrong table`, evidence);
  return verdict("True", "CNILinksUnmanaged", "NetworkManager runs and leaves the CNI's links unmanaged; nm-cloud-setup is off", evidence);
}
