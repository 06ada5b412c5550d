/**
 * Node identity, netmedic's NodeRestriction: the judgement the admission webhook passes on a write
 * to a NetworkHealth. Pure — the webhook (src/controller/admission) resolves who is asking (the
 * agent ServiceAccount's bound Pod and that Pod's node) and hands the facts in here.
 *
 * The split is the contract's two field managers (docs/architecture.md §2): the agent owns
 * status.facts, status.probes and status.agent; everything else in status (observedGeneration,
 * conditions, diagnosis, remediation orders, history) is the controller's. An agent may change only
 * its own node's object, only through the status subresource, and only in its own fields. Its
 * heartbeat Lease is judged the same way (judgeAgentLeaseWrite): only the Lease named as its node.
 */
import { AGENT_LEASE_NAMESPACE, type NetworkHealthStatus } from "../api/index.js";

/** The status fields the node agent writes (field manager netmedic-agent). */
export const AGENT_STATUS_FIELDS: readonly string[] = ["facts", "probes", "agent"];

/** The caller as far as identity goes: its node, or why none could be established. */
export type CallerNode = { node: string } | { unknown: string };

/** One write to a NetworkHealth by an agent, as the apiserver describes it. */
export interface AgentWrite {
  operation: string;
  /** "status" for the status subresource, "" for the object itself. */
  subResource: string;
  /** The NetworkHealth's name, which is its Node's name. */
  name: string;
  oldStatus: NetworkHealthStatus | undefined;
  newStatus: NetworkHealthStatus | undefined;
  caller: CallerNode;
}

/** Allowed, or refused with a message that names what was refused and why. */
export type Verdict = { allowed: true } | { allowed: false; message: string };

/** Top-level status fields that differ between `before` and `after`, outside the agent's own. */
export function controllerFieldsChanged(before: NetworkHealthStatus | undefined, after: NetworkHealthStatus | undefined): string[] {
  const old = (before ?? {}) as Record<string, unknown>;
  const next = (after ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])].filter((key) => !AGENT_STATUS_FIELDS.includes(key));
  return keys.filter((key) => !sameValue(old[key], next[key])).sort();
}

/** Structural equality of JSON values (key order does not matter; the apiserver may reorder). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.hasOwn(right, key) && sameValue(left[key], right[key]));
}

/** The verdict on one agent write: own node, status subresource, agent fields only. */
export function judgeAgentWrite(write: AgentWrite): Verdict {
  if ("unknown" in write.caller) return refuse(`netmedic-agent credentials not tied to a node: ${write.caller.unknown}`);
  const node = write.caller.node;
  if (write.operation !== "UPDATE" || write.subResource !== "status") {
    return refuse(`node ${node}: an agent may only update the status of its own NetworkHealth, not ${write.operation.toLowerCase()} ${describe(write)}`);
  }
  if (write.name !== node) return refuse(`node ${node} may not write NetworkHealth ${write.name}: an agent writes only its own node's NetworkHealth`);
  const changed = controllerFieldsChanged(write.oldStatus, write.newStatus);
  if (changed.length > 0) {
    return refuse(`node ${node} may not write controller-owned status fields (${changed.map((key) => `status.${key}`).join(", ")}): an agent writes only status.${AGENT_STATUS_FIELDS.join(", status.")}`);
  }
  return { allowed: true };
}

/** One write to a Lease in a namespace the Lease webhook entry selects, by an agent. */
export interface AgentLeaseWrite {
  operation: string;
  namespace: string;
  /** The Lease's name, which must be the caller's node's. */
  name: string;
  /** spec.holderIdentity of the Lease written (undefined on DELETE or when unset). */
  holderIdentity: string | undefined;
  caller: CallerNode;
}

/**
 * The verdict on one agent write to a heartbeat Lease: create or update of the Lease in
 * AGENT_LEASE_NAMESPACE named as the caller's node and held by it; never a delete — a Lease gone
 * would read as an agent never heard from, and a node that could delete one could hide another.
 */
export function judgeAgentLeaseWrite(write: AgentLeaseWrite): Verdict {
  if ("unknown" in write.caller) return refuse(`netmedic-agent credentials not tied to a node: ${write.caller.unknown}`);
  const node = write.caller.node;
  const lease = `Lease ${write.namespace}/${write.name}`;
  if (write.operation !== "CREATE" && write.operation !== "UPDATE") return refuse(`node ${node}: an agent may only create or update its own heartbeat Lease, not ${write.operation.toLowerCase()} ${lease}`);
  if (write.namespace !== AGENT_LEASE_NAMESPACE || write.name !== node) return refuse(`node ${node} may not write ${lease}: an agent writes only the Lease ${AGENT_LEASE_NAMESPACE}/${node}`);
  if (write.holderIdentity !== node) return refuse(`node ${node} may not write ${lease} with holderIdentity ${write.holderIdentity ?? "(none)"}: its holder is the node itself`);
  return { allowed: true };
}

function describe(write: AgentWrite): string {
  return write.subResource ? `networkhealths/${write.subResource} ${write.name}` : `networkhealths ${write.name}`;
}

function refuse(message: string): Verdict {
  return { allowed: false, message };
}
