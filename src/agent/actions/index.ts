/** The allowlisted remediation actions, by name (docs/architecture.md §4). */
import type { ActionName, PlannedAction } from "../../api/index.js";
import { runAction, type ActionBody, type ActionContext, type ActionOutcome } from "./action.js";
import { openHostFirewall } from "./open-host-firewall.js";
import { openUfw } from "./open-ufw.js";
import { enableBridgeNetfilter, enableIPForwarding } from "./sysctl-actions.js";
import { repointAPIServer } from "./repoint-api-server.js";
import { loosenReversePathFilter } from "./loosen-rp-filter.js";
import { loadKernelModules } from "./load-kernel-modules.js";
import { disableVXLANChecksumOffload } from "./disable-vxlan-offload.js";
import { unmanageCNILinks } from "./unmanage-cni-links.js";

export type { ActionContext, ActionOutcome } from "./action.js";

/** Every action the agent can execute; nothing outside this table ever runs. */
const ACTION_BODIES: Readonly<Record<ActionName, ActionBody>> = {
  OpenHostFirewall: openHostFirewall,
  OpenUfw: openUfw,
  EnableIPForwarding: enableIPForwarding,
  EnableBridgeNetfilter: enableBridgeNetfilter,
  LoadKernelModules: loadKernelModules,
  LoosenReversePathFilter: loosenReversePathFilter,
  DisableVXLANChecksumOffload: disableVXLANChecksumOffload,
  UnmanageCNILinks: unmanageCNILinks,
  RepointAPIServerEndpoint: repointAPIServer,
};

/** Executes one planned action; an unknown action name is a Failed outcome, never an exception. */
export function executeAction(action: PlannedAction, context: ActionContext): Promise<ActionOutcome> {
  const body = Object.hasOwn(ACTION_BODIES, action.action) ? ACTION_BODIES[action.action] : undefined;
  if (!body) return Promise.resolve({ result: "Failed", detail: `unknown action ${JSON.stringify(String(action.action).slice(0, 60))}` });
  return runAction(body, action, context);
}
