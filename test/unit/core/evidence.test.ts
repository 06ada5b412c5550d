import { describe, expect, it } from "@jest/globals";
import { classifyAPIServiceFailure, hostOf, latestKonnectivityEvidence, readKonnectivityLogLine, serverFromNodeArgs } from "../../../src/core/index.js";
import { NO_AGENT_MESSAGE, NO_ROUTE_LINE } from "../../fixtures/cluster.js";

describe("readKonnectivityLogLine", () => {
  it.each([
    ["the k0s incident line (pods/log form)", NO_ROUTE_LINE, "EHOSTUNREACH", "192.168.1.41:8132"],
    ["the same line read from the CRI file", `2025-05-05T16:48:03.213218Z stderr F ${NO_ROUTE_LINE}`, "EHOSTUNREACH", "192.168.1.41:8132"],
    ["a timeout", 'E0505 1 clientset.go:204] "cannot connect once" err="... dial tcp 10.0.0.1:8132: i/o timeout\\""', "ETIMEDOUT", "10.0.0.1:8132"],
    ["a refusal (iptables backend)", 'E0505 1 x] err="... dial tcp 10.0.0.1:8132: connect: connection refused\\""', "ECONNREFUSED", "10.0.0.1:8132"],
    ["an unreachable network", 'E0505 1 x] err="dial tcp 10.0.0.1:8132: connect: network is unreachable"', "ENETUNREACH", "10.0.0.1:8132"],
    ["a healthy connect", 'I1120 09:12:01.431512 1 client.go:220] "Connect to server" serverID="3d9f"', "ok", undefined],
    ["a healthy start", 'I1120 1 client.go:364] "Start serving" serverID="3d9f" agentID="w"', "ok", undefined],
  ])("classifies %s", (_name, line, outcome, target) => {
    const evidence = readKonnectivityLogLine(line);
    expect(evidence?.outcome).toBe(outcome);
    expect(evidence?.target).toBe(target);
  });

  it("ignores lines that say nothing about the dial", () => {
    expect(readKonnectivityLogLine('I0505 options.go:153] AgentCert set to "".')).toBeUndefined();
  });

  it("takes the newest relevant line", () => {
    const healed = 'I0505 1 client.go:220] "Connect to server" serverID="x"';
    expect(latestKonnectivityEvidence([NO_ROUTE_LINE, healed, "I0505 unrelated"])?.outcome).toBe("ok");
    expect(latestKonnectivityEvidence([healed, NO_ROUTE_LINE])?.outcome).toBe("EHOSTUNREACH");
    expect(latestKonnectivityEvidence([])).toBeUndefined();
  });
});

describe("classifyAPIServiceFailure", () => {
  it.each([
    ["FailedDiscoveryCheck", NO_AGENT_MESSAGE, "NoAgentAvailable"],
    ["MissingEndpoints", "endpoints for service/metrics-server in \"kube-system\" have no addresses with port name \"https\"", "MissingEndpoints"],
    ["ServiceNotFound", 'service/metrics-server in "kube-system" is not present', "ServiceNotFound"],
    ["EndpointsNotFound", 'cannot find endpoints for service/metrics-server in "kube-system"', "MissingEndpoints"],
    ["FailedDiscoveryCheck", 'failing or missing response from https://10.96.0.10:443/apis/metrics.k8s.io/v1beta1: Get "https://10.96.0.10:443/apis/metrics.k8s.io/v1beta1": context deadline exceeded (Client.Timeout exceeded while awaiting headers)', "Timeout"],
    ["FailedDiscoveryCheck", "failing or missing response from https://x: bad status from https://x: 403", "Other"],
  ])("%s: %s → %s", (reason, message, failure) => {
    expect(classifyAPIServiceFailure(reason, message)).toBe(failure);
  });
});

describe("serverFromNodeArgs", () => {
  it.each([
    ['["agent","--server","https://192.168.10.11:6443","--token","********"]', "https://192.168.10.11:6443"],
    ['["agent","--server=https://10.0.0.5:9345"]', "https://10.0.0.5:9345"],
    ['["server","--cluster-init","--token","********"]', undefined],
    ["not json", undefined],
    ['{"server":"x"}', undefined],
    [undefined, undefined],
  ])("%s → %s", (annotation, server) => {
    expect(serverFromNodeArgs(annotation)).toBe(server);
  });
});

describe("hostOf", () => {
  it.each([
    ["https://192.168.10.11:6443", "192.168.10.11"],
    ["192.168.10.11:6443", "192.168.10.11"],
    ["https://[fd00::1]:6443", "fd00::1"],
    ["https://k3s.example.internal:6443", "k3s.example.internal"],
  ])("%s → %s", (input, host) => {
    expect(hostOf(input)).toBe(host);
  });
});
