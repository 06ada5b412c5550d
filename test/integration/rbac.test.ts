/**
 * Least privilege, proven with the shared apiserver's audit log: the controller runs as its
 * ServiceAccount with exactly the shipped roles (deploy/, moved into this file's own namespace so
 * that its ServiceAccount's user name is unique to this file: the audit log is filtered by it, and
 * other files' traffic never counts), reconciles a cluster, and then
 *  - no request it made was refused (the roles allow everything the code does), and
 *  - every verb the roles grant was used (the roles allow nothing more).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdmissionregistrationV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1ValidatingWebhookConfiguration } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { WEBHOOK_CONFIGURATION } from "../../src/controller/admission/ca-bundle.js";
import { asServiceAccount, getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { deployManifests, kubectlManifests } from "../support/control-plane/deploy-manifests.js";
import { createReadyNode } from "../support/control-plane/kubelet.js";
import { eventually, netmedicArgv, startProcess, waitForOutput, type RunningProcess } from "../support/e2e/processes.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { FIELD_MANAGER_AGENT } from "../../src/api/index.js";
import { k0sBrokenFacts } from "../fixtures/cluster.js";
import { createKonnectivityAgentPod } from "../support/e2e/k0s-worker.js";

interface Rule { apiGroups: string[]; resources: string[]; verbs: string[] }
interface Role { kind: string; metadata: { name: string; namespace?: string }; rules: Rule[] }
interface AuditEvent {
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; apiGroup?: string };
  responseStatus?: { code?: number };
}

const RBAC_FILES = ["deploy/00-namespace.yaml", "deploy/10-serviceaccounts.yaml", "deploy/20-rbac-controller.yaml", "deploy/30-config.yaml"];

/** "group|resource|namespace-or-*|verb" for every permission a role grants. */
function grants(roles: Role[]): string[] {
  return roles.flatMap((role) => role.rules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) =>
    rule.verbs.map((verb) => `${group}|${resource}|${role.kind === "Role" ? role.metadata.namespace : "*"}|${verb}`)))));
}

/** The permissions one audited request exercised (an apply that created its object also needs create). */
function exercised(event: AuditEvent): string[] {
  const ref = event.objectRef ?? {};
  const resource = ref.subresource ? `${ref.resource ?? ""}/${ref.subresource}` : ref.resource ?? "";
  const keys = [ref.namespace ?? "*", "*"].map((scope) => `${ref.apiGroup ?? ""}|${resource}|${scope}|${event.verb}`);
  if (event.verb === "patch" && event.responseStatus?.code === 201) keys.push(...keys.map((key) => key.replace(/\|patch$/, "|create")));
  return keys;
}

/** deploy/'s ValidatingWebhookConfiguration with an objectSelector no object matches. */
function inertWebhookConfiguration(): V1ValidatingWebhookConfiguration {
  const config = parseAllDocuments(readFileSync("deploy/53-node-identity-webhook.yaml", "utf8")).map((d) => d.toJS() as V1ValidatingWebhookConfiguration)
    .find((d) => d.kind === "ValidatingWebhookConfiguration");
  if (!config?.webhooks?.[0]) throw new Error("deploy/53-node-identity-webhook.yaml has no webhook");
  config.webhooks[0].objectSelector = { matchLabels: { "netmedic.io/rbac-test": "matches-nothing" } };
  return config;
}

describe("controller RBAC (deploy/20-rbac-controller.yaml) against the audit log", () => {
  const cluster = getTestCluster();
  const admin = cluster.kubeConfig;
  const namespace = uniqueName("netmedic-rbac");
  const subject = `system:serviceaccount:${namespace}:netmedic-controller`;
  const [node, agentPod] = [uniqueName("rbac-worker"), uniqueName("konnectivity-agent-rbac")];
  const dir = mkdtempSync(join(tmpdir(), "netmedic-rbac-"));
  const manifests = deployManifests(RBAC_FILES, namespace);
  const roles = manifests.filter((doc) => doc.kind === "Role" || doc.kind === "ClusterRole") as unknown as Role[];
  let controller: RunningProcess | undefined;

  beforeAll(async () => {
    kubectlManifests("apply", cluster.kubeconfigPath, manifests);
    await createReadyNode(admin, { name: node, internalIP: "192.168.1.42" });
    await createKonnectivityAgentPod(admin, agentPod, node, "192.168.1.41", "10.244.0.3");
    // The controller's "own Pod" (no kubelet runs it): the DaemonSets take their image from it.
    await admin.makeApiClient(CoreV1Api).createNamespacedPod({ namespace, body: {
      metadata: { name: "netmedic-controller-0" }, spec: { containers: [{ name: "controller", image: "ghcr.io/netmedic-io/netmedic:rbac" }] } } });
    // The node-identity webhook's configuration, for the controller to put its certificate in. Its
    // objectSelector matches nothing: the shared plane's other files never call this webhook.
    await admin.makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({ body: inertWebhookConfiguration() });
    const sa = await asServiceAccount(admin, namespace, "netmedic-controller");
    const kubeconfigPath = join(dir, "controller.kubeconfig");
    writeFileSync(kubeconfigPath, sa.exportConfig());
    controller = startProcess("controller-as-sa", netmedicArgv("controller", "--kubeconfig", kubeconfigPath, "--namespace", namespace,
      "--listen", "127.0.0.1:0", "--lease-duration", "6s", "--renew-deadline", "4s", "--retry-period", "1s"), dir,
    // Jest's process.env is a sandbox copy that children never see: hand POD_NAME over explicitly.
    (argv, options) => spawn(argv[0] ?? "", argv.slice(1), { ...options, env: { ...process.env, POD_NAME: "netmedic-controller-0", NETMEDIC_WEBHOOK_LISTEN: "127.0.0.1:0" } }));
    await waitForOutput(controller, '"msg":"caches synced"', 60_000);
    await waitForOutput(controller, '"msg":"webhook caBundle published"', 30_000);
    await waitForOutput(controller, '"msg":"agent and probe daemonsets applied"', 30_000);
    await exerciseController();
    await controller.stop();
  }, 120_000);

  /** A broken agent report (an order, with Events), an invalid config update, Lease renewals, a Node going away. */
  async function exerciseController(): Promise<void> {
    const core = admin.makeApiClient(CoreV1Api);
    const agent = new NetworkHealthClient(admin, FIELD_MANAGER_AGENT);
    await eventually("the NetworkHealth exists", () => agent.get(node), 30_000);
    const now = new Date().toISOString();
    await agent.applyStatus(node, { facts: { ...k0sBrokenFacts(), collectedAt: now }, agent: { heartbeatTime: now } });
    await eventually("the order's Event", async () => (await core.listNamespacedEvent({ namespace: "default" }))
      .items.some((e) => e.reason === "Pending" && e.involvedObject.name === node), 30_000);
    // An invalid config update: kept out, reported as a Warning Event on the ConfigMap.
    await core.patchNamespacedConfigMap({ name: "netmedic-config", namespace, body: { data: { "config.yaml": "remediation: {mode: Sometimes}\n" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await eventually("the InvalidConfig Event", async () => (await core.listNamespacedEvent({ namespace }))
      .items.some((e) => e.type === "Warning" && e.involvedObject.kind === "ConfigMap"), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await core.deleteNode({ name: node });
    await new Promise((resolve) => setTimeout(resolve, 4000));
  }

  afterAll(async () => {
    await controller?.stop();
    const core = admin.makeApiClient(CoreV1Api);
    await core.deleteNamespacedPod({ name: agentPod, namespace: "kube-system", gracePeriodSeconds: 0 }).catch(() => undefined);
    await core.deleteNode({ name: node }).catch(() => undefined);
    kubectlManifests("delete", cluster.kubeconfigPath, manifests);
    await admin.makeApiClient(AdmissionregistrationV1Api).deleteValidatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  // Only this file's ServiceAccount: the shared apiserver also serves every other test file.
  // The cheap substring test first: by now the log holds every file's requests.
  const audited = (): AuditEvent[] => readFileSync(cluster.auditLogPath, "utf8").split("\n").filter((line) => line.includes(subject))
    .map((line) => JSON.parse(line) as AuditEvent).filter((event) => event.user.username === subject);

  it("the controller made requests as its ServiceAccount and none was refused", () => {
    const events = audited();
    expect(events.length).toBeGreaterThan(10);
    const refused = events.filter((e) => e.responseStatus?.code === 403).map((e) => exercised(e)[0]);
    expect(refused).toEqual([]);
  });

  it("every permission the roles grant was used (nothing more)", () => {
    const used = new Set(audited().flatMap(exercised));
    const unused = grants(roles).filter((grant) => !used.has(grant) && !used.has(grant.replace(/\|[^|]*\|([^|]*)$/, "|*|$1")));
    expect(unused).toEqual([]);
    expect(grants(roles)).toContain(`|configmaps|${namespace}|get`);
  });
});
