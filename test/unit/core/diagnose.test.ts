import { describe, expect, it } from "@jest/globals";
import { diagnose, diagnoseNode, type Observation } from "../../../src/core/index.js";
import {
  CONTROLLER_IP, NO_AGENT_MESSAGE, NO_ROUTE_LINE, health, healthyFacts, k0sBrokenFacts, konnectivityPod, metricsAPIService, node, observe, probe,
} from "../../fixtures/cluster.js";

const STALE_AFTER = 120;
const WORKER = "worker-1";
const podLog = (lines: string[]) => ({ [`kube-system/konnectivity-agent-${WORKER}`]: lines });
const k0sWorker = () => node(WORKER, "192.168.1.42", { labels: { "node.k0sproject.io/role": "worker" } });
const etcdOnly = () => node("etcd-1", "192.168.10.11", { labels: { "node-role.kubernetes.io/etcd": "true" } });
const controlPlane = () => node("cp-1", "192.168.10.21", { labels: { "node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true" } });
const k3sFacts = (server: string, distribution: "k3s" | "rke2" = "k3s") =>
  healthyFacts({ distribution, firewall: { manager: "none", state: "notInstalled" }, apiServer: { configured: [server], source: "/etc/rancher/k3s/config.yaml" } });
const configuredProbe = (result: string, detail?: string) => probe("Host", "ConfiguredServer", result, "192.168.10.11:6443", detail);

interface Case {
  name: string;
  observation: () => Observation;
  node?: string;
  expect: Record<string, string>;
  rootCause: string;
  fixes: string[];
  noFix?: RegExp;
}

const cases: Case[] = [
  {
    name: "healthy node: no findings, no plan",
    observation: () => observe({ nodes: [k0sWorker()], pods: [konnectivityPod(WORKER)], healths: [health(WORKER, { facts: healthyFacts(), probes: [probe("Pod", "Konnectivity", "ok"), probe("Host", "Konnectivity", "ok")] })] }),
    expect: { Ready: "Healthy", IPForwarding: "Enabled", BridgeNetfilter: "Enabled", HostFirewall: "Allowing", KonnectivityReachable: "Connected", APIServerEndpoint: "NotApplicable", AgentReporting: "Reporting" },
    rootCause: "",
    fixes: [],
  },
  {
    name: "the k0s incident: firewalld rejecting, forwarding and bridge netfilter off",
    observation: () => observe({
      nodes: [k0sWorker()], pods: [konnectivityPod(WORKER)], logs: podLog([NO_ROUTE_LINE]),
      apiServices: [metricsAPIService("False", "FailedDiscoveryCheck", NO_AGENT_MESSAGE)],
      healths: [health(WORKER, { facts: k0sBrokenFacts(), probes: [probe("Pod", "Konnectivity", "EHOSTUNREACH"), probe("Host", "Konnectivity", "ok")] })],
    }),
    expect: { Ready: "Degraded", IPForwarding: "Disabled", BridgeNetfilter: "Disabled", HostFirewall: "RejectingPodTraffic", KonnectivityReachable: "NoRouteToHost" },
    rootCause: "RejectingPodTraffic",
    fixes: ["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"],
  },
  {
    name: "IP forwarding off, no host firewall: pod dial times out",
    observation: () => observe({
      nodes: [k0sWorker()], pods: [konnectivityPod(WORKER)],
      healths: [health(WORKER, { facts: healthyFacts({ sysctl: { ipForward: 0, bridgeNfCallIptables: 1, bridgeNetfilterLoaded: true }, firewall: { manager: "none", state: "notInstalled" } }), probes: [probe("Pod", "Konnectivity", "ETIMEDOUT"), probe("Host", "Konnectivity", "ok")] })],
    }),
    expect: { IPForwarding: "Disabled", HostFirewall: "NotPresent", KonnectivityReachable: "Timeout" },
    rootCause: "Disabled",
    fixes: ["EnableIPForwarding"],
  },
  {
    name: "br_netfilter not loaded",
    observation: () => observe({ nodes: [k0sWorker()], healths: [health(WORKER, { facts: healthyFacts({ sysctl: { ipForward: 1, bridgeNetfilterLoaded: false } }) })] }),
    expect: { BridgeNetfilter: "ModuleNotLoaded", KonnectivityReachable: "NotDeployed" },
    rootCause: "ModuleNotLoaded",
    fixes: ["EnableBridgeNetfilter"],
  },
  {
    name: "firewalld trusts the pods but does not masquerade",
    observation: () => observe({
      nodes: [k0sWorker()], pods: [konnectivityPod(WORKER)],
      healths: [health(WORKER, { facts: healthyFacts({ firewall: { manager: "firewalld", state: "running", defaultZone: "public", egressZone: "public", podTrafficTrusted: true, egressMasquerade: false } }), probes: [probe("Pod", "Konnectivity", "ETIMEDOUT")] })],
    }),
    expect: { HostFirewall: "MasqueradeDisabled", KonnectivityReachable: "Timeout" },
    rootCause: "MasqueradeDisabled",
    fixes: ["OpenHostFirewall"],
  },
  {
    name: "firewalld installed but stopped is not a fault",
    observation: () => observe({ nodes: [k0sWorker()], healths: [health(WORKER, { facts: healthyFacts({ firewall: { manager: "firewalld", state: "notRunning" } }) })] }),
    expect: { HostFirewall: "NotRunning", Ready: "Healthy" },
    rootCause: "",
    fixes: [],
  },
  {
    name: "host → control plane blocked too: report, no node fix",
    observation: () => observe({
      nodes: [k0sWorker()], pods: [konnectivityPod(WORKER)],
      healths: [health(WORKER, { facts: k0sBrokenFacts(), probes: [probe("Pod", "Konnectivity", "ETIMEDOUT"), probe("Host", "Konnectivity", "ETIMEDOUT")] })],
    }),
    expect: { KonnectivityReachable: "ControlPlaneUnreachable", Ready: "Degraded" },
    rootCause: "ControlPlaneUnreachable",
    fixes: [],
    noFix: /control plane either/,
  },
  {
    name: "only the konnectivity-agent log, no agent report: diagnosed, never fixed",
    observation: () => observe({ nodes: [k0sWorker()], pods: [konnectivityPod(WORKER)], logs: podLog([NO_ROUTE_LINE]) }),
    expect: { KonnectivityReachable: "NoRouteToHost", AgentReporting: "NotRunning", IPForwarding: "Unknown", Ready: "Degraded" },
    rootCause: "NoRouteToHost",
    fixes: [],
    noFix: /no fresh host facts/,
  },
  {
    name: "only the aggregator's No agent available",
    observation: () => observe({
      nodes: [k0sWorker()], pods: [konnectivityPod(WORKER)], apiServices: [metricsAPIService("False", "FailedDiscoveryCheck", NO_AGENT_MESSAGE)],
      healths: [health(WORKER, { facts: healthyFacts() })],
    }),
    expect: { KonnectivityReachable: "NoAgentAvailable", HostFirewall: "Allowing" },
    rootCause: "NoAgentAvailable",
    fixes: [],
    noFix: /CNI/,
  },
  {
    name: "refused from the pod network (iptables backend reject)",
    observation: () => observe({ nodes: [k0sWorker()], pods: [konnectivityPod(WORKER)], healths: [health(WORKER, { facts: k0sBrokenFacts(), probes: [probe("Pod", "Konnectivity", "ECONNREFUSED"), probe("Host", "Konnectivity", "ok")] })] }),
    expect: { KonnectivityReachable: "Refused", HostFirewall: "RejectingPodTraffic" },
    rootCause: "RejectingPodTraffic",
    fixes: ["OpenHostFirewall", "EnableIPForwarding", "EnableBridgeNetfilter"],
  },
  {
    name: "stale agent report: nothing is changed on old facts",
    observation: () => observe({ nodes: [k0sWorker()], healths: [{ ...health(WORKER, { facts: k0sBrokenFacts() }), status: { facts: k0sBrokenFacts(), agent: { heartbeatTime: "2025-05-05T16:40:00Z" } } }] }),
    expect: { AgentReporting: "Stale", IPForwarding: "Disabled" },
    rootCause: "RejectingPodTraffic",
    fixes: [],
    noFix: /no fresh host facts/,
  },
  {
    name: "pod probe succeeds although the pod network is not in a trusted zone: the direct evidence wins",
    observation: () => observe({ nodes: [k0sWorker()], pods: [konnectivityPod(WORKER)], healths: [health(WORKER, { facts: healthyFacts({ firewall: { manager: "firewalld", state: "running", defaultZone: "public", podTrafficTrusted: false, egressMasquerade: false } }), probes: [probe("Pod", "Konnectivity", "ok")] })] }),
    expect: { HostFirewall: "Allowing", KonnectivityReachable: "Connected", Ready: "Healthy" },
    rootCause: "",
    fixes: [],
  },
  {
    name: "the k3s incident: agent pinned to an etcd-only server (labels + reply)",
    node: "agent-1",
    observation: () => observe({
      nodes: [etcdOnly(), controlPlane(), node("agent-1", "192.168.10.31", { ready: "Unknown", annotations: { "k3s.io/node-args": '["agent","--server","https://192.168.10.11:6443","--token","********"]' } })],
      endpoints: ["192.168.10.21"],
      healths: [health("agent-1", { facts: k3sFacts("https://192.168.10.11:6443"), probes: [configuredProbe("ok", "HTTP 503: apiserver disabled")] })],
    }),
    expect: { APIServerEndpoint: "EtcdOnlyEndpoint", Ready: "Degraded" },
    rootCause: "EtcdOnlyEndpoint",
    fixes: ["RepointAPIServerEndpoint=https://192.168.10.21:6443"],
  },
  {
    name: "etcd-only told by the reply alone (no role labels)",
    node: "agent-1",
    observation: () => observe({
      nodes: [node("etcd-1", "192.168.10.11"), node("agent-1", "192.168.10.31")], endpoints: ["192.168.10.21"],
      healths: [health("agent-1", { facts: k3sFacts("https://192.168.10.11:6443"), probes: [configuredProbe("ok", "HTTP 503: apiserver disabled")] })],
    }),
    expect: { APIServerEndpoint: "EtcdOnlyEndpoint" },
    rootCause: "EtcdOnlyEndpoint",
    fixes: ["RepointAPIServerEndpoint=https://192.168.10.21:6443"],
  },
  {
    name: "RKE2 re-points to the supervisor port 9345",
    node: "agent-1",
    observation: () => observe({
      nodes: [etcdOnly(), node("agent-1", "192.168.10.31")], endpoints: ["192.168.10.21"],
      healths: [health("agent-1", { facts: k3sFacts("https://192.168.10.11:9345", "rke2") })],
    }),
    expect: { APIServerEndpoint: "EtcdOnlyEndpoint" },
    rootCause: "EtcdOnlyEndpoint",
    fixes: ["RepointAPIServerEndpoint=https://192.168.10.21:9345"],
  },
  {
    name: "contradiction: labelled etcd-only but answers as an apiserver → Unknown, no fix",
    node: "agent-1",
    observation: () => observe({
      nodes: [etcdOnly(), node("agent-1", "192.168.10.31")], endpoints: ["192.168.10.21"],
      healths: [health("agent-1", { facts: k3sFacts("https://192.168.10.11:6443"), probes: [configuredProbe("ok", "serves the API (v1.28.14+k3s1)")] })],
    }),
    expect: { APIServerEndpoint: "Unknown", Ready: "Unknown" },
    rootCause: "",
    fixes: [],
  },
  {
    name: "configured server is no live apiserver and refuses",
    node: "agent-1",
    observation: () => observe({
      nodes: [node("agent-1", "192.168.10.31")], endpoints: ["192.168.10.21"],
      healths: [health("agent-1", { facts: k3sFacts("https://192.168.10.99:6443"), probes: [configuredProbe("ECONNREFUSED")] })],
    }),
    expect: { APIServerEndpoint: "Unreachable" },
    rootCause: "Unreachable",
    fixes: ["RepointAPIServerEndpoint=https://192.168.10.21:6443"],
  },
  {
    name: "a server node that joined through the etcd-only node runs its own apiserver",
    node: "cp-1",
    observation: () => observe({ nodes: [etcdOnly(), controlPlane()], endpoints: ["192.168.10.21"], healths: [health("cp-1", { facts: k3sFacts("https://192.168.10.11:6443") })] }),
    expect: { APIServerEndpoint: "NotApplicable", Ready: "Healthy" },
    rootCause: "",
    fixes: [],
  },
  {
    name: "etcd-only endpoint but no live apiserver known: no re-point",
    node: "agent-1",
    observation: () => observe({ nodes: [etcdOnly(), node("agent-1", "192.168.10.31")], endpoints: null, healths: [health("agent-1", { facts: k3sFacts("https://192.168.10.11:6443") })] }),
    expect: { APIServerEndpoint: "EtcdOnlyEndpoint" },
    rootCause: "EtcdOnlyEndpoint",
    fixes: [],
    noFix: /no live apiserver endpoint/,
  },
];

describe("diagnoseNode", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, testCase) => {
    const result = diagnoseNode(testCase.observation(), testCase.node ?? WORKER, STALE_AFTER);
    expect(result).toBeDefined();
    if (!result) return;
    const reasons: Record<string, string> = { Ready: result.ready.reason };
    for (const check of Object.values(result.checks)) reasons[check.type] = check.reason;
    expect(reasons).toMatchObject(testCase.expect);
    expect(result.rootCause).toBe(testCase.rootCause);
    expect(result.fixes.map((f) => (f.server ? `${f.action}=${f.server}` : f.action))).toEqual(testCase.fixes);
    if (testCase.noFix) expect(result.noFixReason).toMatch(testCase.noFix);
    if (testCase.fixes.length > 0 || testCase.rootCause === "") expect(result.noFixReason).toBeUndefined();
  });

  it("carries the k0s evidence a person needs: log line, sysctl values, probe, APIService message", () => {
    const [, k0s] = cases;
    const result = diagnoseNode(k0s!.observation(), WORKER, STALE_AFTER);
    expect(result?.evidence).toEqual(expect.arrayContaining([
      "net.ipv4.ip_forward = 0",
      `probe from Pod to ${CONTROLLER_IP}:8132 (Konnectivity): EHOSTUNREACH`,
      `konnectivity-agent log: ${NO_ROUTE_LINE.replace(/^E0505 16:48:03\.213218\s+1 /, "")}`,
      `apiservice/v1beta1.metrics.k8s.io Available=False FailedDiscoveryCheck: ${NO_AGENT_MESSAGE}`,
    ]));
    expect(result?.affects).toEqual(["apiservice/v1beta1.metrics.k8s.io"]);
    expect(result?.summary).toMatch(/^worker-1: firewalld rejects forwarded pod traffic.*→ apiservice\/v1beta1.metrics.k8s.io unavailable$/);
    expect(result?.fixes[0]).toEqual({ action: "OpenHostFirewall", reason: "RejectingPodTraffic", podInterface: "kube-bridge", podCIDR: "10.244.0.0/24", egressZone: "public", service: "k0s-worker" });
    expect(result?.targets).toEqual({ konnectivity: [`${CONTROLLER_IP}:8132`], apiServers: [`${CONTROLLER_IP}:6443`] });
  });

  it("quotes a repeated log error identically whatever its timestamp (no status write per log refresh)", () => {
    const at = (time: string) => NO_ROUTE_LINE.replace("16:48:03.213218", time);
    const quote = (line: string) => diagnoseNode(observe({ nodes: [k0sWorker()], pods: [konnectivityPod(WORKER)], logs: podLog([line]) }), WORKER, STALE_AFTER)?.evidence;
    expect(quote(at("16:49:13.000001"))).toEqual(quote(at("16:48:03.213218")));
    expect(quote(`2025-05-05T16:48:03.213218Z stderr F ${at("16:50:00.5")}`)).toEqual(quote(at("16:48:03.213218")));
  });

  it.each([
    ["fresh, the limit following the heartbeat", "2025-05-05T16:49:00Z", 750, 300, "True/Reporting: the netmedic agent reports; stale after 750 s without a report or a renewal of its heartbeat Lease (2.5 × the agents' 300 s heartbeat)"],
    ["stale, the limit following the heartbeat", "2025-05-05T16:37:00Z", 750, 300, "False/Stale: the netmedic agent's last report was at 2025-05-05T16:37:00Z: stale after 750 s without a report or a renewal of its heartbeat Lease (2.5 × the agents' 300 s heartbeat)"],
    ["stale, a limit set on its own", "2025-05-05T16:49:00Z", 30, 300, "False/Stale: the netmedic agent's last report was at 2025-05-05T16:49:00Z: stale after 30 s without a report or a renewal of its heartbeat Lease (the agents' heartbeat is 300 s)"],
    ["no heartbeat known (the CLI)", "2025-05-05T16:49:00Z", 120, undefined, "True/Reporting: the netmedic agent reports; stale after 120 s without a report or a renewal of its heartbeat Lease"],
  ])("AgentReporting says how stale is judged: %s", (_case, heartbeatTime, staleAfter, heartbeat, expected) => {
    const observation = observe({ nodes: [k0sWorker()], healths: [{ ...health(WORKER, { facts: healthyFacts() }), status: { facts: healthyFacts(), agent: { heartbeatTime } } }] });
    const check = diagnoseNode(observation, WORKER, staleAfter, heartbeat)?.checks.AgentReporting;
    expect(`${check?.status}/${check?.reason}: ${check?.message}`).toBe(expected);
  });

  it("returns undefined for a node the observation does not hold", () => {
    expect(diagnoseNode(observe({ nodes: [k0sWorker()] }), "ghost", STALE_AFTER)).toBeUndefined();
  });
});

describe("diagnose: APIService attribution", () => {
  const healthyWorker = (name: string) => health(name, { facts: healthyFacts(), probes: [probe("Pod", "Konnectivity", "ok")] });
  const broken = (name: string) => health(name, { facts: k0sBrokenFacts(), probes: [probe("Pod", "Konnectivity", "EHOSTUNREACH"), probe("Host", "Konnectivity", "ok")] });

  it.each([
    ["No agent available → the node whose pod network cannot reach konnectivity", "FailedDiscoveryCheck", NO_AGENT_MESSAGE, "NoAgentAvailable", ["w2"]],
    ["a timeout → the node that blocks forwarded pod traffic", "FailedDiscoveryCheck", "Get \"https://10.244.1.5:4443/apis\": context deadline exceeded", "Timeout", ["w2"]],
    ["MissingEndpoints is not a node fault", "MissingEndpoints", "endpoints for service/metrics-server in \"kube-system\" have no addresses", "MissingEndpoints", []],
    ["ServiceNotFound is not a node fault", "ServiceNotFound", "service/metrics-server in \"kube-system\" is not present", "ServiceNotFound", []],
  ])("%s", (_name, reason, message, failure, nodes) => {
    const observation = observe({
      nodes: [node("w1", "10.0.0.11"), node("w2", "10.0.0.12")], pods: [konnectivityPod("w1"), konnectivityPod("w2")],
      apiServices: [metricsAPIService("False", reason, message)], healths: [healthyWorker("w1"), broken("w2")],
    });
    const result = diagnose(observation, STALE_AFTER);
    expect(result.apiServices).toEqual([expect.objectContaining({ name: "v1beta1.metrics.k8s.io", failure, nodes })]);
    expect(result.nodes.find((n) => n.node === "w1")?.affects).toEqual([]);
  });

  it("ignores local APIServices and available ones", () => {
    const local = { metadata: { name: "v1.apps" }, spec: { service: null }, status: { conditions: [{ type: "Available", status: "False", reason: "Local" }] } };
    const result = diagnose(observe({ nodes: [k0sWorker()], apiServices: [local, metricsAPIService("True")] }), STALE_AFTER);
    expect(result.apiServices).toEqual([]);
  });
});
