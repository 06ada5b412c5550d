/** Confirming an executed order from fresh evidence, not from the agent's word alone. */
import type { ActionName, PlannedAction } from "../api/index.js";
import type { EvidenceCheckType, NodeDiagnosis } from "./findings.js";
import type { NodeView } from "./observation.js";
import { secondsBetween } from "./node-context.js";

const CHECK_OF: Record<ActionName, EvidenceCheckType> = {
  OpenHostFirewall: "HostFirewall",
  OpenUfw: "HostFirewall",
  EnableIPForwarding: "IPForwarding",
  EnableBridgeNetfilter: "BridgeNetfilter",
  LoadKernelModules: "KernelModules",
  LoosenReversePathFilter: "ReversePathFilter",
  DisableVXLANChecksumOffload: "VXLANChecksumOffload",
  UnmanageCNILinks: "NetworkManager",
  RepointAPIServerEndpoint: "APIServerEndpoint",
};

/**
 * `undefined` when facts collected after the last result show every action's check passing (and,
 * for a re-point, the Node Ready again); otherwise what is still missing.
 */
export function confirmOrder(actions: PlannedAction[], diagnosis: NodeDiagnosis, node: NodeView, factsCollectedAt: string | undefined, lastResultTime: string): string | undefined {
  if (!factsCollectedAt || !(secondsBetween(lastResultTime, factsCollectedAt) >= 0)) return "no facts collected since the actions ran";
  for (const { action } of actions) {
    const check = diagnosis.checks[CHECK_OF[action]];
    if (check.status !== "True") return `${check.type} is still ${check.reason}`;
  }
  if (actions.some((a) => a.action === "RepointAPIServerEndpoint") && node.ready !== "True") {
    return `Node Ready=${node.ready}: no heartbeat since the re-point yet`;
  }
  return undefined;
}
