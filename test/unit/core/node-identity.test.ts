import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { AGENT_STATUS_FIELDS, controllerFieldsChanged, judgeAgentLeaseWrite, judgeAgentWrite, type AgentLeaseWrite, type AgentWrite } from "../../../src/core/node-identity.js";
import { CONTROLLER_STATUS_FIELDS } from "../../../src/core/status-equality.js";
import type { NetworkHealthStatus } from "../../../src/api/index.js";

const owned: NetworkHealthStatus = {
  observedGeneration: 1,
  conditions: [{ type: "Ready", status: "True", reason: "Healthy", message: "ok", lastTransitionTime: "2026-01-01T00:00:00Z" }],
  remediation: { phase: "Idle", mode: "Auto" },
};
const write = (overrides: Partial<AgentWrite>): AgentWrite => ({
  operation: "UPDATE", subResource: "status", name: "node-a", oldStatus: owned,
  newStatus: { ...owned, agent: { heartbeatTime: "2026-01-01T00:01:00Z" } }, caller: { node: "node-a" }, ...overrides,
});

describe("judgeAgentWrite", () => {
  it.each([
    ["its own facts, probes and heartbeat", write({}), true],
    ["its first report into an empty status", write({ oldStatus: undefined, newStatus: { agent: { heartbeatTime: "t" } } }), true],
  ])("allows %s", (_name, input, allowed) => {
    expect(judgeAgentWrite(input).allowed).toBe(allowed);
  });

  it.each([
    ["another node's object", write({ name: "node-b" }), "node node-a may not write NetworkHealth node-b: an agent writes only its own node's NetworkHealth"],
    ["an order into its own", write({ newStatus: { ...owned, remediation: { phase: "Pending", orderId: "x" } } }),
      "node node-a may not write controller-owned status fields (status.remediation): an agent writes only status.facts, status.probes, status.agent"],
    ["conditions and history removed", write({ newStatus: {} }), "(status.conditions, status.observedGeneration, status.remediation)"],
    ["the object itself", write({ subResource: "" }), "node node-a: an agent may only update the status of its own NetworkHealth, not update networkhealths node-a"],
    ["a delete", write({ operation: "DELETE" }), "not delete networkhealths/status node-a"],
    ["a caller with no node", write({ caller: { unknown: "the token is not bound to a Pod" } }), "netmedic-agent credentials not tied to a node: the token is not bound to a Pod"],
  ])("refuses %s with a message that says why", (_name, input, message) => {
    const verdict = judgeAgentWrite(input);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed ? "" : verdict.message).toContain(message);
  });
});

const leaseWrite = (overrides: Partial<AgentLeaseWrite>): AgentLeaseWrite => ({
  operation: "UPDATE", namespace: "netmedic-node-lease", name: "node-a", holderIdentity: "node-a", caller: { node: "node-a" }, ...overrides,
});

describe("judgeAgentLeaseWrite", () => {
  it.each([
    ["a renewal of its own Lease", leaseWrite({}), ""],
    ["the creation of its own Lease", leaseWrite({ operation: "CREATE" }), ""],
    ["another node's Lease", leaseWrite({ name: "node-b", holderIdentity: "node-a" }), "node node-a may not write Lease netmedic-node-lease/node-b: an agent writes only the Lease netmedic-node-lease/node-a"],
    ["another node's Lease held in that node's name", leaseWrite({ operation: "CREATE", name: "node-b", holderIdentity: "node-b" }), "may not write Lease netmedic-node-lease/node-b"],
    ["its own Lease held by another node", leaseWrite({ holderIdentity: "node-b" }), "node node-a may not write Lease netmedic-node-lease/node-a with holderIdentity node-b: its holder is the node itself"],
    ["its own Lease without a holder", leaseWrite({ holderIdentity: undefined }), "with holderIdentity (none)"],
    ["a Lease in another namespace", leaseWrite({ namespace: "kube-node-lease" }), "may not write Lease kube-node-lease/node-a"],
    ["a delete of its own Lease", leaseWrite({ operation: "DELETE", holderIdentity: undefined }), "node node-a: an agent may only create or update its own heartbeat Lease, not delete Lease netmedic-node-lease/node-a"],
    ["a caller with no node", leaseWrite({ caller: { unknown: "the token is not bound to a Pod" } }), "netmedic-agent credentials not tied to a node: the token is not bound to a Pod"],
  ])("%s", (_name, input, refusal) => {
    const verdict = judgeAgentLeaseWrite(input);
    expect(verdict.allowed ? "" : verdict.message).toEqual(refusal === "" ? "" : expect.stringContaining(refusal));
  });
});

describe("controllerFieldsChanged", () => {
  it("ignores key order and the agent's fields, sees nested changes", () => {
    const reordered = { remediation: { mode: "Auto", phase: "Idle" }, conditions: owned.conditions, observedGeneration: 1, facts: { collectedAt: "t" } } as NetworkHealthStatus;
    expect(controllerFieldsChanged(owned, reordered)).toEqual([]);
    const edited = structuredClone(owned);
    edited.conditions![0]!.message = "forged";
    expect(controllerFieldsChanged(owned, edited)).toEqual(["conditions"]);
    expect(controllerFieldsChanged(undefined, { history: [] })).toEqual(["history"]);
  });
});

describe("the field split", () => {
  it("names every status field of the CRD exactly once: the agent's here, the controller's in status-equality", () => {
    const crd = parse(readFileSync("crds/networkhealth.netmedic.io.yaml", "utf8")) as { spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: { status: { properties: Record<string, unknown> } } } } }> } };
    const fields = Object.keys(crd.spec.versions[0]!.schema.openAPIV3Schema.properties.status.properties).sort();
    expect([...AGENT_STATUS_FIELDS, ...CONTROLLER_STATUS_FIELDS].sort()).toEqual(fields);
  });
});
