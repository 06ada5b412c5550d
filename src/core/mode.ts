/** The effective remediation mode of a node and of each action on it. */
import { REMEDIATION_ANNOTATION, type ActionName, type RemediationMode } from "../api/index.js";
import type { NodeView } from "./observation.js";
import type { RemediationPolicy } from "./policy.js";

const STRICTNESS: Record<RemediationMode, number> = { Auto: 0, Observe: 1, Disabled: 2 };

/** The stricter of two modes (Disabled > Observe > Auto). */
function stricterMode(a: RemediationMode, b: RemediationMode): RemediationMode {
  return STRICTNESS[a] >= STRICTNESS[b] ? a : b;
}

/** The node's mode and where it came from: opt-out annotation, then spec.remediation, then the cluster default. */
export function nodeMode(node: NodeView, specMode: RemediationMode | undefined, policy: RemediationPolicy): { mode: RemediationMode; source: string } {
  if (node.annotations[REMEDIATION_ANNOTATION]?.toLowerCase() === "disabled") {
    return { mode: "Disabled", source: `node annotation ${REMEDIATION_ANNOTATION}=disabled` };
  }
  if (specMode) return { mode: specMode, source: "spec.remediation" };
  return { mode: policy.mode, source: "cluster default" };
}

/** The mode an action runs in on a node: the stricter of the node's mode and the action's own. */
export function actionMode(action: ActionName, mode: RemediationMode, policy: RemediationPolicy): RemediationMode {
  return stricterMode(mode, policy.actions[action] ?? "Auto");
}
