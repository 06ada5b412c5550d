// `netmedic diagnose` reads konnectivity-agent logs through the kubelet, which may be the fault
// being diagnosed: a log read that never answers must end at its timeout as data, not hang the
// command. Against a local HTTP stand-in for the apiserver whose log endpoint for one pod never replies.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { readCluster } from "../../../src/k8s/cluster-reader.js";

const pod = (name: string) => ({ metadata: { name, namespace: "kube-system", labels: { "k8s-app": "konnectivity-agent" } } });
const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
};

/** How the stand-in answers the agents' Lease list: a status code and body. */
let leaseAnswer: { status: number; body: unknown } = { status: 404, body: { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 } };

function apiserver(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  if (path === "/apis/coordination.k8s.io/v1/namespaces/netmedic-node-lease/leases") return json(res, leaseAnswer.status, leaseAnswer.body);
  if (path === "/api/v1/namespaces/kube-system/pods/hung/log") return; // never answers
  if (path === "/api/v1/namespaces/kube-system/pods/talking/log") return void res.writeHead(200, { "content-type": "text/plain" }).end("one\ntwo\n");
  if (path === "/api/v1/namespaces/kube-system/pods") return json(res, 200, { kind: "PodList", apiVersion: "v1", items: [pod("hung"), pod("talking")] });
  if (path === "/api/v1/nodes") return json(res, 200, { kind: "NodeList", apiVersion: "v1", items: [] });
  if (path === "/apis/apiregistration.k8s.io/v1/apiservices") return json(res, 200, { kind: "APIServiceList", apiVersion: "apiregistration.k8s.io/v1", items: [] });
  json(res, 404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 });
}

describe("readCluster's log reads", () => {
  let server: Server;
  const kubeConfig = new KubeConfig();

  beforeAll(async () => {
    server = createServer(apiserver);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    kubeConfig.loadFromOptions({
      clusters: [{ name: "c", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: "u" }], contexts: [{ name: "x", cluster: "c", user: "u" }], currentContext: "x",
    });
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("end at their timeout with the reason as data, and the other pods' logs still arrive", async () => {
    const started = Date.now();
    const sources = await readCluster(kubeConfig, "2026-01-01T00:00:00Z", { tailLines: 5, limitBytes: 1024, timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(sources.logs?.["kube-system/hung"]).toEqual({ lines: [], error: "logs unavailable: timed out" });
    expect(sources.logs?.["kube-system/talking"]).toEqual({ lines: ["one", "two"] });
    expect(sources.konnectivityPods).toHaveLength(2);
    expect(sources.networkHealths).toEqual([]);
  }, 15_000);

  const refused = (code: number) => ({ status: code, body: { kind: "Status", apiVersion: "v1", status: "Failure", code } });
  const leaseList = { kind: "LeaseList", apiVersion: "coordination.k8s.io/v1", items: [
    { metadata: { name: "worker-1", namespace: "netmedic-node-lease" }, spec: { holderIdentity: "worker-1", renewTime: "2026-01-01T00:00:00.123456Z" } },
    { metadata: { name: "never-renewed", namespace: "netmedic-node-lease" }, spec: { holderIdentity: "never-renewed" } },
  ] };
  it.each([
    { case: "the agents' Leases, renewTime by node", answer: { status: 200, body: leaseList }, expected: { "worker-1": "2026-01-01T00:00:00.123456Z" } },
    { case: "no Lease namespace (404): the reports alone", answer: refused(404), expected: {} },
    { case: "no right to read them (403): the reports alone", answer: refused(403), expected: {} },
  ])("read the heartbeat Leases: $case", async ({ answer, expected }) => {
    leaseAnswer = answer;
    const sources = await readCluster(kubeConfig, "2026-01-01T00:00:00Z", { tailLines: 5, limitBytes: 1024, timeoutMs: 300 });
    expect(sources.agentLeaseRenewTimes).toEqual(expected);
  }, 15_000);
});
