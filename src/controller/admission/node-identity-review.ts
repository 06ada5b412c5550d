/**
 * The node-identity webhook's decision for one AdmissionReview: requests by anyone but the agent
 * ServiceAccount pass (RBAC governs them); the agent's are judged by src/core/node-identity.ts
 * against the node of the Pod its token is bound to. The webhook itself fails closed for agents —
 * a Pod it cannot resolve is a refusal — while its failurePolicy (Ignore) decides what happens when
 * the apiserver cannot reach it at all (docs/architecture.md §2, node identity). Writes to the
 * agents' heartbeat Leases are reviewed the same way (reviewAgentLeaseWrite).
 */
import { judgeAgentLeaseWrite, judgeAgentWrite, type Verdict } from "../../core/node-identity.js";
import type { ReviewRequest } from "./admission-review.js";
import type { PodNodes } from "./pod-nodes.js";
import { GUARD_PROBE_ANNOTATION, GUARD_PROBE_ANSWER } from "./guard-check.js";

/** Who the agents are: the ServiceAccount every agent Pod runs as. */
export interface AgentAccount {
  namespace: string;
  name: string;
}

/** Whether `request` was made by the agent ServiceAccount. */
const byAgent = (request: ReviewRequest, agent: AgentAccount): boolean => request.userInfo.username === `system:serviceaccount:${agent.namespace}:${agent.name}`;

/** The verdict on `request`, a write to a NetworkHealth. */
export async function reviewNetworkHealthWrite(request: ReviewRequest, agent: AgentAccount, pods: PodNodes): Promise<Verdict> {
  // The guard check's dry run: answering it at all proves the apiserver reaches the webhook.
  if (request.dryRun && request.object?.metadata?.annotations?.[GUARD_PROBE_ANNOTATION] !== undefined) return { allowed: false, message: GUARD_PROBE_ANSWER };
  if (!byAgent(request, agent)) return { allowed: true };
  const caller = await pods.nodeOf(agent.namespace, request.userInfo);
  return judgeAgentWrite({
    operation: request.operation,
    subResource: request.subResource,
    name: request.name,
    oldStatus: request.oldObject?.status,
    newStatus: request.object?.status,
    caller,
  });
}

/** The verdict on `request`, a write to a Lease in a namespace of agents' heartbeat Leases. */
export async function reviewAgentLeaseWrite(request: ReviewRequest, agent: AgentAccount, pods: PodNodes): Promise<Verdict> {
  if (!byAgent(request, agent)) return { allowed: true };
  const lease = request.object as { spec?: { holderIdentity?: unknown } } | undefined;
  const holder = lease?.spec?.holderIdentity;
  return judgeAgentLeaseWrite({
    operation: request.operation,
    namespace: request.namespace,
    name: request.name,
    holderIdentity: typeof holder === "string" ? holder : undefined,
    caller: await pods.nodeOf(agent.namespace, request.userInfo),
  });
}
