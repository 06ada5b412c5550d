/**
 * Every shipped manifest validated against the upstream Kubernetes (and Prometheus Operator)
 * OpenAPI schemas through kubernetes-models, plus the security invariants the install promises.
 * The real control plane additionally server-side dry-runs them (test/integration/install.test.ts).
 */
import { describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { validate as lintDockerfile } from "dockerfile-utils";
import { DEFAULT_CONFIG, parseControllerConfig } from "../../../src/controller/config/config.js";
import { AGENT_NODE_OPTIONS } from "../../../src/controller/workloads/workloads.js";

interface Manifest { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown }

const rendered = (): Manifest[] => {
  const text = execFileSync("kubectl", ["kustomize", "deploy/"], { encoding: "utf8" });
  return parseAllDocuments(text).map((d) => d.toJS() as Manifest);
};
const fileObjects = (path: string): Manifest[] => parseAllDocuments(readFileSync(path, "utf8")).map((d) => d.toJS() as Manifest).filter(Boolean);

async function modelFor(apiVersion: string, kind: string): Promise<new (data: unknown) => { validate(): void }> {
  const module = apiVersion.startsWith("monitoring.coreos.com/")
    ? await import(`@kubernetes-models/prometheus-operator/${apiVersion}`)
    : await import(`kubernetes-models/${apiVersion}`);
  const model = (module as Record<string, unknown>)[kind];
  if (typeof model !== "function") throw new Error(`no schema for ${apiVersion} ${kind}`);
  return model as new (data: unknown) => { validate(): void };
}

interface ControllerPod {
  hostNetwork: boolean;
  dnsPolicy: string;
  securityContext: { runAsNonRoot: boolean };
  containers: Array<{
    securityContext: unknown;
    livenessProbe: { httpGet: { path: string } };
    readinessProbe: { httpGet: { path: string } };
    resources: { limits: { memory?: string } };
  }>;
}

const byKind = (objects: Manifest[], kind: string, name?: string) => objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));

describe("deploy/ (kubectl kustomize) and deploy/monitoring", () => {
  const objects = rendered();
  const monitoring = readdirSync("deploy/monitoring").filter((file) => file.endsWith(".yaml")).flatMap((file) => fileObjects(`deploy/monitoring/${file}`));

  it("renders the whole install, CRD included", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(expect.arrayContaining([
      "CustomResourceDefinition/networkhealths.netmedic.io", "Namespace/netmedic", "Deployment/netmedic-controller",
      "ClusterRole/netmedic-controller", "ClusterRole/netmedic-agent", "ServiceAccount/netmedic-probe",
      "PodDisruptionBudget/netmedic-controller", "Service/netmedic-metrics", "ConfigMap/netmedic-config",
    ]));
  });

  it.each([...rendered(), ...readdirSync("deploy/monitoring").filter((file) => file.endsWith(".yaml")).flatMap((file) => fileObjects(`deploy/monitoring/${file}`))]
    .map((o) => [`${o.kind}/${o.metadata.name}`, o] as const))("%s is valid against its OpenAPI schema", async (_name, object) => {
    const Model = await modelFor(object.apiVersion, object.kind);
    expect(() => new Model(object).validate()).not.toThrow();
  });

  it("node accepts the NODE_OPTIONS the controller and the agent ship, and sizes the heap from them", () => {
    const [deployment] = byKind(objects, "Deployment", "netmedic-controller") as unknown as Array<{ spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } } }>;
    const controllerOptions = deployment!.spec.template.spec.containers[0]!.env.find((e) => e.name === "NODE_OPTIONS")?.value ?? "";
    const heapLimitMb = (nodeOptions: string) => Number(execFileSync(process.execPath,
      ["-e", "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit / 2 ** 20))"],
      { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: nodeOptions } }));
    // Old space 224 MB + a young generation of 3 semi-spaces of 4 MB.
    expect(controllerOptions).toBe("--max-old-space-size=224 --max-semi-space-size=4");
    expect(heapLimitMb(controllerOptions)).toBe(224 + 3 * 4);
    expect(heapLimitMb(AGENT_NODE_OPTIONS)).toBeGreaterThan(0);
  });

  it("the validator does reject a broken manifest (it is not a no-op)", async () => {
    const Model = await modelFor("apps/v1", "Deployment");
    const broken = structuredClone(byKind(objects, "Deployment")[0]) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = "two";
    expect(() => new Model(broken).validate()).toThrow(/replicas/);
  });

  it("the controller is hostNetwork, non-root, read-only, capability-free and probed on /healthz and /readyz", () => {
    const [deployment] = byKind(objects, "Deployment", "netmedic-controller") as unknown as Array<{ spec: { replicas: number; template: { spec: ControllerPod } } }>;
    const pod = deployment!.spec.template.spec;
    expect(deployment!.spec.replicas).toBe(2);
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe("ClusterFirstWithHostNet");
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const container = pod.containers[0]!;
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    expect(container.resources.limits.memory).toBeDefined();
  });

  it("least privilege: no role grants Secrets, wildcards, or Node writes; the probe has no token", () => {
    const rules = [...byKind(objects, "ClusterRole"), ...byKind(objects, "Role")]
      .flatMap((role) => (role["rules"] as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>).map((rule) => ({ role: role.metadata.name, ...rule })));
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.resources).not.toContain("secrets");
      expect([...rule.resources, ...rule.verbs, ...rule.apiGroups]).not.toContain("*");
      if (rule.resources.includes("nodes")) expect(["get", "list", "watch"]).toEqual(expect.arrayContaining(rule.verbs));
    }
    const agentRules = rules.filter((r) => r.role === "netmedic-agent");
    expect(agentRules.map((r) => `${r.resources.join(",")}: ${[...r.verbs].sort().join(",")}`)).toEqual(["networkhealths: get,list,watch", "networkhealths/status: patch"]);
    // The agent's only other grants: get of the kubelets' Leases (a re-point's confirmation), in
    // kube-node-lease only, and its own heartbeat Lease in netmedic-node-lease (no list, watch or delete).
    const leaseRoles = [...byKind(objects, "Role"), ...byKind(objects, "ClusterRole")].filter((role) => JSON.stringify(role["rules"]).includes("leases")
      && byKind(objects, "RoleBinding").some((b) => b.metadata.namespace === role.metadata.namespace && JSON.stringify(b).includes(`"name":"${role.metadata.name}"`) && JSON.stringify(b).includes('"name":"netmedic-agent"')));
    expect(leaseRoles.map((role) => [role.kind, role.metadata.namespace, role["rules"]])).toEqual([
      ["Role", "kube-node-lease", [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get"] }]],
      ["Role", "netmedic-node-lease", [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }]],
    ]);
    const [probe] = byKind(objects, "ServiceAccount", "netmedic-probe");
    expect(probe?.["automountServiceAccountToken"]).toBe(false);
  });

  it("the shipped netmedic-config is valid for the controller and documents exactly its defaults", () => {
    const [configMap] = byKind(objects, "ConfigMap", "netmedic-config") as unknown as Array<{ data: { "config.yaml": string } }>;
    expect(parseControllerConfig(configMap!.data["config.yaml"], "deploy/30-config.yaml")).toEqual(DEFAULT_CONFIG);
  });

  it("the PrometheusRule alerts on the metrics the controller exports", () => {
    const rule = monitoring.find((o) => o.kind === "PrometheusRule") as unknown as { spec: { groups: Array<{ rules: Array<{ expr: string }> }> } };
    const exprs = rule.spec.groups.flatMap((g) => g.rules.map((r) => r.expr)).join("\n");
    for (const metric of ["netmedic_networkhealth_condition", "netmedic_remediations_total", "netmedic_apiservice_available", "netmedic_watch_restarts_total"]) {
      expect(exprs).toContain(metric);
    }
  });
});

describe("Dockerfile", () => {
  const text = readFileSync("Dockerfile", "utf8");

  it("lints clean", () => {
    expect(lintDockerfile(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it("the linter does flag a broken Dockerfile (it is not a no-op)", () => {
    expect(lintDockerfile("FROM node:20\nEXPOSE eighty\nUSR nobody\n").length).toBeGreaterThanOrEqual(2);
  });

  it("is multi-stage, installs with npm ci, ships nsenter, runs non-root with the netmedic entrypoint", () => {
    expect(text.match(/^FROM /gm)).toHaveLength(2);
    expect(text).toMatch(/RUN npm ci/);
    expect(text).toMatch(/util-linux/);
    expect(text).toMatch(/^USER 65532:65532$/m);
    expect(text).toMatch(/^ENTRYPOINT \[.*"\/app\/dist\/cli\/main\.js"\]$/m);
  });
});
