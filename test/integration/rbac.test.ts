/**
 * Least privilege, proven with the real apiserver's audit log: the controller runs as its
 * ServiceAccount with exactly the shipped roles (deploy/), reconciles a cluster, and then
 *  - no request it made was refused (the roles allow everything the code does), and
 *  - every verb the roles grant was used (the roles allow nothing more).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../support/control-plane/control-plane.js";
import { asServiceAccount } from "../support/control-plane/cluster.js";
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

const SUBJECT = "system:serviceaccount:netmedic:netmedic-controller";
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

describe("controller RBAC (deploy/20-rbac-controller.yaml) against the audit log", () => {
  let plane: ControlPlane;
  let controller: RunningProcess | undefined;
  const roles = RBAC_FILES.flatMap((file) => parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as Role))
    .filter((doc) => doc?.kind === "Role" || doc?.kind === "ClusterRole");

  beforeAll(async () => {
    plane = await startControlPlane({ auditLog: true });
    const admin = new KubeConfig();
    admin.loadFromFile(plane.kubeconfigPath);
    execFileSync("kubectl", ["--kubeconfig", plane.kubeconfigPath, "apply", ...RBAC_FILES.flatMap((file) => ["-f", file])], { stdio: "pipe" });
    await createReadyNode(admin, { name: "rbac-worker", internalIP: "192.168.1.42" });
    await createKonnectivityAgentPod(admin, "konnectivity-agent-rbac", "rbac-worker", "192.168.1.41", "10.244.0.3");
    // The controller's "own Pod" (no kubelet runs it): the DaemonSets take their image from it.
    await admin.makeApiClient(CoreV1Api).createNamespacedPod({ namespace: "netmedic", body: {
      metadata: { name: "netmedic-controller-0" }, spec: { containers: [{ name: "controller", image: "ghcr.io/netmedic-io/netmedic:rbac" }] } } });
    const sa = await asServiceAccount(admin, "netmedic", "netmedic-controller");
    const kubeconfigPath = join(plane.dir, "controller.kubeconfig");
    writeFileSync(kubeconfigPath, sa.exportConfig());
    controller = startProcess("controller-as-sa", netmedicArgv("controller", "--kubeconfig", kubeconfigPath, "--namespace", "netmedic",
      "--listen", "127.0.0.1:0", "--lease-duration", "6", "--renew-deadline", "4", "--retry-period", "1"), plane.dir,
    // Jest's process.env is a sandbox copy that children never see: hand POD_NAME over explicitly.
    (argv, options) => spawn(argv[0] ?? "", argv.slice(1), { ...options, env: { ...process.env, POD_NAME: "netmedic-controller-0" } }));
    await waitForOutput(controller, '"msg":"caches synced"', 60_000);
    await waitForOutput(controller, '"msg":"agent and probe daemonsets applied"', 30_000);
    // A fresh, broken agent report: the controller orders a fix, which records Events.
    const agent = new NetworkHealthClient(admin, FIELD_MANAGER_AGENT);
    await eventually("the NetworkHealth exists", () => agent.get("rbac-worker"), 30_000);
    const now = new Date().toISOString();
    await agent.applyStatus("rbac-worker", { facts: { ...k0sBrokenFacts(), collectedAt: now }, agent: { heartbeatTime: now } });
    await eventually("the order's Event", async () => (await admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: "default" }))
      .items.some((e) => e.reason === "Pending" && e.involvedObject.name === "rbac-worker"), 30_000);
    // An invalid config update: kept out, reported as a Warning Event on the ConfigMap.
    const core = admin.makeApiClient(CoreV1Api);
    await core.patchNamespacedConfigMap({ name: "netmedic-config", namespace: "netmedic", body: { data: { "config.yaml": "remediation: {mode: Sometimes}\n" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await eventually("the InvalidConfig Event", async () => (await core.listNamespacedEvent({ namespace: "netmedic" }))
      .items.some((e) => e.type === "Warning" && e.involvedObject.kind === "ConfigMap"), 30_000);
    // Lease renewals, a node going away.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await admin.makeApiClient(CoreV1Api).deleteNode({ name: "rbac-worker" });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await controller.stop();
  }, 120_000);

  afterAll(async () => {
    await controller?.stop();
    await plane?.stop();
  });

  const audited = (): AuditEvent[] => readFileSync(join(plane.dir, "audit.log"), "utf8").split("\n").filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEvent).filter((event) => event.user.username === SUBJECT);

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
  });
});
