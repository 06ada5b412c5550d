/**
 * Is the node-identity guard in force? With failurePolicy Ignore an apiserver that cannot reach the
 * webhook admits every write, silently. So each replica asks the apiserver itself: a dry-run patch
 * of a NetworkHealth carrying GUARD_PROBE_ANNOTATION, which the webhook always refuses with
 * GUARD_PROBE_ANSWER. Refused with that answer: the apiserver reached a replica, the guard holds.
 * Admitted: it could not, and agents' writes go unchecked — exported as
 * netmedic_node_identity_guarded 0, so an alert can say so. A dry run changes nothing, and the
 * controller may patch NetworkHealths already.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import { API_GROUP, API_VERSION, NETWORK_HEALTH_PLURAL } from "../../api/index.js";

/** The annotation that marks the guard check's dry run (never stored: it is a dry run). */
export const GUARD_PROBE_ANNOTATION = "netmedic.io/node-identity-probe";

/** What the webhook answers the guard check's dry run. */
export const GUARD_PROBE_ANSWER = "netmedic node identity: guard check answered";

/** true: the webhook answered; false: the apiserver admitted without it; undefined: no verdict (an error). */
export type GuardState = boolean | undefined;

/** Sends the dry run against NetworkHealth `name` (any existing one) and reads the outcome. */
export async function checkGuard(kubeConfig: KubeConfig, name: string): Promise<GuardState> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const body = { metadata: { annotations: { [GUARD_PROBE_ANNOTATION]: "check" } } };
  try {
    await api.patchClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: NETWORK_HEALTH_PLURAL, name, body, dryRun: "All" },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    return false;
  } catch (error) {
    const text = `${(error as Error).message} ${JSON.stringify((error as { body?: unknown }).body ?? "")}`;
    return text.includes(GUARD_PROBE_ANSWER) ? true : undefined;
  }
}
