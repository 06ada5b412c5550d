/** deploy/ ships the node-identity webhook as argued in docs/architecture.md §2, and the agent a Pod-bound token. */
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { AGENT_LEASE_NAMESPACE } from "../../../src/api/index.js";
import { agentDaemonSet } from "../../../src/controller/workloads/workloads.js";
import { DEFAULT_CONFIG } from "../../../src/controller/config/config.js";

interface Doc { kind: string; metadata: { name: string }; [key: string]: unknown }
const docs = (path: string): Doc[] => parseAllDocuments(readFileSync(path, "utf8")).map((d) => d.toJS() as Doc);

describe("node identity in deploy/", () => {
  it("is part of the kustomization", () => {
    expect(readFileSync("deploy/Kustomization", "utf8")).toMatch(/^ {2}- 53-node-identity-webhook\.yaml$/m);
  });

  it("registers the webhook for NetworkHealth writes, v1 reviews, Ignore when unreachable, 5 s", () => {
    const config = docs("deploy/53-node-identity-webhook.yaml").find((d) => d.kind === "ValidatingWebhookConfiguration");
    expect(config?.metadata.name).toBe("netmedic-node-identity");
    expect(config?.["webhooks"]).toEqual([expect.objectContaining({
      failurePolicy: "Ignore", sideEffects: "None", timeoutSeconds: 5, admissionReviewVersions: ["v1"],
      clientConfig: { service: { name: "netmedic-webhook", namespace: "netmedic", path: "/validate-networkhealth", port: 443 } },
      rules: [{ apiGroups: ["netmedic.io"], apiVersions: ["*"], resources: ["networkhealths", "networkhealths/status"], operations: ["CREATE", "UPDATE", "DELETE"], scope: "Cluster" }],
    }), expect.objectContaining({
      name: "agent-lease.netmedic.io", failurePolicy: "Ignore", sideEffects: "None", timeoutSeconds: 5, admissionReviewVersions: ["v1"],
      clientConfig: { service: { name: "netmedic-webhook", namespace: "netmedic", path: "/validate-agent-lease", port: 443 } },
      namespaceSelector: { matchLabels: { "netmedic.io/agent-leases": "true" } },
      rules: [{ apiGroups: ["coordination.k8s.io"], apiVersions: ["*"], resources: ["leases"], operations: ["CREATE", "UPDATE", "DELETE"], scope: "Namespaced" }],
    })]);
  });

  it("the agents' Lease namespace carries the label the Lease entry selects it by", () => {
    const namespace = docs("deploy/00-namespace.yaml").find((d) => d.kind === "Namespace" && d.metadata.name === AGENT_LEASE_NAMESPACE) as { metadata: { labels?: Record<string, string> } } | undefined;
    expect(namespace?.metadata.labels).toMatchObject({ "netmedic.io/agent-leases": "true" });
  });

  it("the controller serves it on the port the Service targets and may update only that configuration", () => {
    const controller = JSON.stringify(docs("deploy/50-controller.yaml"));
    expect(controller).toContain('{"name":"NETMEDIC_WEBHOOK_LISTEN","value":":9443"}');
    expect(controller).toContain('{"name":"webhook","containerPort":9443,"protocol":"TCP"}');
    const role = docs("deploy/20-rbac-controller.yaml").find((d) => d.kind === "ClusterRole") as { rules: Array<Record<string, string[]>> } | undefined;
    expect(role?.rules).toContainEqual({ apiGroups: ["admissionregistration.k8s.io"], resources: ["validatingwebhookconfigurations"], resourceNames: ["netmedic-node-identity"], verbs: ["get", "update"] });
  });

  it("the agent gets a projected, Pod-bound token instead of 1.20's Secret token", () => {
    const spec = agentDaemonSet({ namespace: "netmedic", image: "x", probePort: 9465, agent: DEFAULT_CONFIG.agent }).spec?.template.spec;
    expect(spec?.automountServiceAccountToken).toBe(false);
    expect(spec?.volumes?.[0]?.projected?.sources?.[0]?.serviceAccountToken).toEqual({ path: "token", expirationSeconds: 3607 });
    expect(spec?.containers[0]?.volumeMounts).toContainEqual({ name: "kube-api-access", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true });
  });
});
