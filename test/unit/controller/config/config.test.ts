import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { parse } from "yaml";
import { ConfigError, DEFAULT_CONFIG, parseControllerConfig } from "../../../../src/controller/config/config.js";
import { DEFAULT_POLICY } from "../../../../src/core/index.js";

function problemsOf(yamlText: string): string[] {
  try {
    parseControllerConfig(yamlText, "test");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("parseControllerConfig", () => {
  it("gives the documented defaults for an empty config", () => {
    expect(parseControllerConfig("", "test")).toEqual(DEFAULT_CONFIG);
    expect(parseControllerConfig("{}", "test").policy).toEqual(DEFAULT_POLICY);
  });

  it("accepts the shipped ConfigMap and reads it as the defaults", () => {
    const configMap = parse(readFileSync("deploy/30-config.yaml", "utf8")) as { data: Record<string, string> };
    const config = parseControllerConfig(configMap.data["config.yaml"] ?? "", "deploy/30-config.yaml");
    expect(config.policy).toEqual(DEFAULT_POLICY);
    expect(config.konnectivity).toEqual(DEFAULT_CONFIG.konnectivity);
    expect(config.resyncSeconds).toBe(3600);
    expect(config.reconcile).toEqual(DEFAULT_CONFIG.reconcile);
  });

  it("reads every section", () => {
    const config = parseControllerConfig(`
remediation:
  mode: Observe
  actions: {RepointAPIServerEndpoint: Disabled}
  maxConcurrent: 2
  breaker: {maxFailedNodes: 5}
konnectivity: {namespace: konnectivity, selector: "app in (agent), tier!=x", logTailLines: 10}
resyncSeconds: 60
reconcile: {workers: 8, apiQPS: 200}
agent:
  image: registry.local/netmedic:1
  tolerations: [{key: node-role.kubernetes.io/etcd, operator: Exists, effect: NoExecute}]
  nodeSelector: {kubernetes.io/os: linux}
  resources: {requests: {cpu: 20m, memory: 64Mi}, limits: {cpu: 1}}
`, "test");
    expect(config.policy).toEqual({ ...DEFAULT_POLICY, mode: "Observe", actions: { RepointAPIServerEndpoint: "Disabled" }, maxConcurrent: 2, breaker: { maxFailedNodes: 5, windowSeconds: 900 } });
    expect(config.konnectivity).toEqual({ namespace: "konnectivity", selector: "app in (agent), tier!=x", logTailLines: 10, logLimitBytes: 16384, logTtlSeconds: 60 });
    expect(config.resyncSeconds).toBe(60);
    expect(config.reconcile).toEqual({ workers: 8, apiQPS: 200, apiBurst: 100 });
    expect(config.agent).toEqual({
      image: "registry.local/netmedic:1",
      tolerations: [{ key: "node-role.kubernetes.io/etcd", operator: "Exists", effect: "NoExecute" }],
      nodeSelector: { "kubernetes.io/os": "linux" },
      resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "1" } },
      heartbeatSeconds: 300,
    });
  });

  it.each([
    ["nothing set: the 5-minute heartbeat, stale after 2.5 of them", "{}", 300, 750],
    ["a heartbeat: the staleness limit follows it", "agent: {heartbeatSeconds: 60}", 60, 150],
    ["an explicit limit wins", "agent: {heartbeatSeconds: 60}\nremediation: {staleAfterSeconds: 100}", 60, 100],
    ["a bare limit below the default heartbeat serves agents run with their own (the e2e tests')", "remediation: {staleAfterSeconds: 30}", 300, 30],
  ])("heartbeat and staleness: %s", (_case, yamlText, heartbeat, stale) => {
    const config = parseControllerConfig(yamlText, "test");
    expect([config.agent.heartbeatSeconds, config.policy.agentHeartbeatSeconds, config.policy.staleAfterSeconds]).toEqual([heartbeat, heartbeat, stale]);
  });

  it.each([
    ["remediation: {maxConcurent: 2}", "remediation.maxConcurent: unknown key (allowed: mode, actions, maxConcurrent, cooldownSeconds, maxAttempts, orderTimeoutSeconds, breaker, staleAfterSeconds)"],
    ["remediation: {mode: auto}", "remediation.mode: must be one of Auto, Observe, Disabled (got \"auto\")"],
    ["remediation: {maxConcurrent: 0}", "remediation.maxConcurrent: must be an integer from 1 to 1000 (got 0)"],
    ["remediation: {actions: {RebootNode: Auto}}", "remediation.actions: key \"RebootNode\" is not allowed (allowed: OpenHostFirewall, OpenUfw, EnableIPForwarding, EnableBridgeNetfilter, LoadKernelModules, LoosenReversePathFilter, DisableVXLANChecksumOffload, UnmanageCNILinks, RepointAPIServerEndpoint)"],
    ["remediation: {actions: {EnableIPForwarding: Yes}}", "remediation.actions.EnableIPForwarding: must be one of Auto, Observe, Disabled (got \"Yes\")"],
    ["konnectivity: {namespace: Kube_System}", "konnectivity.namespace: must be a namespace name (DNS label) (got \"Kube_System\")"],
    ["konnectivity: {selector: '=x'}", "konnectivity.selector: must be a label selector like k8s-app=konnectivity-agent (got \"=x\")"],
    ["resyncSeconds: 1", "resyncSeconds: must be an integer from 10 to 86400 (got 1)"],
    ["resyncSeconds: '300'", "resyncSeconds: must be an integer from 10 to 86400 (got \"300\")"],
    ["reconcile: {workers: 0}", "reconcile.workers: must be an integer from 1 to 64 (got 0)"],
    ["reconcile: {apiQPS: 2.5}", "reconcile.apiQPS: must be an integer from 1 to 10000 (got 2.5)"],
    ["agent: {resources: {requests: {memory: lots}}}", "agent.resources.requests.memory: must be a resource quantity like 100m or 64Mi (got \"lots\")"],
    ["agent: {tolerations: {operator: Exists}}", "agent.tolerations: must be a list (got {\"operator\":\"Exists\"})"],
    ["agent: {heartbeatSeconds: 5}", "agent.heartbeatSeconds: must be an integer from 10 to 3600 (got 5)"],
    ["{agent: {heartbeatSeconds: 300}, remediation: {staleAfterSeconds: 300}}", "remediation.staleAfterSeconds: must exceed agent.heartbeatSeconds (300), or every idle agent turns Stale (got 300)"],
    ["extra: 1", "extra: unknown key (allowed: remediation, konnectivity, resyncSeconds, reconcile, agent)"],
    ["- a list", "config: must be a mapping (got [\"a list\"])"],
  ])("rejects %s", (yamlText, problem) => {
    expect(problemsOf(yamlText)).toEqual([problem]);
  });

  it("reports every problem at once, on one line", () => {
    let message = "";
    try {
      parseControllerConfig("resyncSeconds: 0\nremediation: {mode: Fix}\n", "configmap netmedic/netmedic-config");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe("invalid config configmap netmedic/netmedic-config: remediation.mode: must be one of Auto, Observe, Disabled (got \"Fix\"); resyncSeconds: must be an integer from 10 to 86400 (got 0)");
    expect(message).not.toContain("\n");
  });

  it("rejects malformed YAML with the parser's first line", () => {
    expect(problemsOf("remediation: [unclosed")[0]).toMatch(/^not valid YAML: /);
  });

  const jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJl";
  const k3sToken = "K10f4a3c2b1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3::server:0123456789abcdef";
  it.each([
    ["agent: {token: abc}", "agent.token: a key named \"token\" looks like a credential"],
    ["agent: {nodeSelector: {password: x}}", "agent.nodeSelector.password: a key named \"password\" looks like a credential"],
    [`agent: {image: "${jwt}"}`, "agent.image: value looks like a JSON Web Token"],
    [`konnectivity: {selector: "${k3sToken}"}`, "konnectivity.selector: value looks like a k3s/RKE2 join token (K10…)"],
  ])("refuses a secret: %s", (yamlText, problem) => {
    const problems = problemsOf(yamlText);
    expect(problems).toEqual([problem, "netmedic's config must not hold credentials: remove them"]);
    expect(problems.join(" ")).not.toContain(jwt);
    expect(problems.join(" ")).not.toContain(k3sToken);
  });
});
