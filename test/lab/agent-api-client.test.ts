// The agent's own API client (node:https, no client-node) against the real kube-apiserver of the
// shared plane, under exactly deploy/'s agent RBAC: get (404 → undefined), status SSA owned by
// netmedic-agent beside the controller's fields, 403 surfacing as code 403, token-file rotation,
// client-certificate auth and the TLS settings. Needs only the shared plane, not the node lab.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { FIELD_MANAGER_AGENT, FIELD_MANAGER_CONTROLLER, PROBE_TARGETS_ANNOTATION, type NetworkHealth } from "../../src/api/index.js";
import { AgentApiClient } from "../../src/k8s/light/agent-api-client.js";
import { NetworkHealthClient } from "../../src/k8s/networkhealth-client.js";
import { classifyError } from "../../src/controller/runtime/api-errors.js";
import { asServiceAccount, getTestCluster, uniqueName } from "../support/control-plane/cluster.js";
import { applyCrds } from "../support/control-plane/crds.js";
import { agentIdentity, bindAgentRole, tokenOf, writeKubeconfig } from "./agent-identity.js";

const cluster = getTestCluster();
const dir = mkdtempSync(join(tmpdir(), "netmedic-agent-api-"));
const TARGETS = '{"konnectivity":["10.0.0.1:8132"]}';
const caData = readFileSync(cluster.caCertPath).toString("base64");
const clients: AgentApiClient[] = [];
const load = async (kubeconfig: string): Promise<AgentApiClient> => {
  const client = await AgentApiClient.load(kubeconfig, { timeoutMs: 10_000 });
  clients.push(client);
  return client;
};
const managers = (object: NetworkHealth) => (object.metadata as { managedFields?: Array<{ manager?: string; subresource?: string }> }).managedFields ?? [];
const owned = (object: NetworkHealth, manager: string) => JSON.stringify(managers(object).filter((m) => m.manager === manager));

describe("AgentApiClient against a real kube-apiserver, as the agent's ServiceAccount", () => {
  let identity: KubeConfig;
  let agent: AgentApiClient;
  let controller: NetworkHealthClient;
  const name = uniqueName("agent-api");

  beforeAll(async () => {
    await applyCrds(cluster.kubeConfig);
    identity = await agentIdentity(cluster.kubeConfig);
    agent = await load(writeKubeconfig(dir, "sa", cluster.server, { "certificate-authority-data": caData }, { token: tokenOf(identity) }));
    controller = new NetworkHealthClient(cluster.kubeConfig, FIELD_MANAGER_CONTROLLER);
    await controller.apply({ apiVersion: "netmedic.io/v1alpha1", kind: "NetworkHealth", metadata: { name, annotations: { [PROBE_TARGETS_ANNOTATION]: TARGETS } }, spec: {} });
    await controller.applyStatus(name, { diagnosis: { summary: "written by the controller" } });
  }, 60_000);

  afterAll(() => {
    for (const client of clients) client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("get reads the object, and a missing one (404) is undefined", async () => {
    const read = await agent.get(name);
    expect(read?.metadata.annotations?.[PROBE_TARGETS_ANNOTATION]).toBe(TARGETS);
    expect(read?.status?.diagnosis).toEqual({ summary: "written by the controller" });
    expect(await agent.get(uniqueName("missing"))).toBeUndefined();
  });

  it("applyStatus is SSA on status under netmedic-agent: the controller's fields stay, empty strings never reach the wire", async () => {
    const applied = await agent.applyStatus(name, { facts: { collectedAt: "2025-05-05T16:49:50Z", distribution: "k0s" }, agent: { heartbeatTime: "2025-05-05T16:49:50Z", version: "" } });
    expect(applied.status?.diagnosis).toEqual({ summary: "written by the controller" });
    expect(applied.status?.facts).toEqual({ collectedAt: "2025-05-05T16:49:50Z", distribution: "k0s" });
    expect(applied.status?.agent).toEqual({ heartbeatTime: "2025-05-05T16:49:50Z" });
    // v1.20 records no `subresource` in managedFields; the status-only field set shows the same.
    expect(owned(applied, FIELD_MANAGER_AGENT)).toMatch(/"operation":"Apply"/);
    expect(owned(applied, FIELD_MANAGER_AGENT)).toMatch(/"fieldsV1":\{"f:status":\{"f:agent":\{"f:heartbeatTime":\{\}\},"f:facts":\{"f:collectedAt"/);
    expect(owned(applied, FIELD_MANAGER_AGENT)).not.toContain("f:diagnosis");
    expect(owned(applied, FIELD_MANAGER_CONTROLLER)).toContain("f:diagnosis");
    // The apply is the agent's complete intent: a field it no longer sends is removed.
    const next = await agent.applyStatus(name, { facts: { collectedAt: "2025-05-05T16:50:50Z" }, agent: { heartbeatTime: "2025-05-05T16:50:50Z" } });
    expect(next.status?.facts).toEqual({ collectedAt: "2025-05-05T16:50:50Z" });
    expect(next.status?.diagnosis).toEqual({ summary: "written by the controller" });
  });

  it("what the agent's RBAC does not grant is HTTP 403 with code 403 (terminal), without the token", async () => {
    const stranger = await load(writeKubeconfig(dir, "stranger", cluster.server, { "certificate-authority-data": caData }, {
      token: tokenOf(await asServiceAccount(cluster.kubeConfig, uniqueName("stranger"), "nobody")),
    }));
    const error = (await stranger.get(name).catch((e: unknown) => e)) as Error & { code: number };
    expect(error).toMatchObject({ code: 403, message: expect.stringMatching(/^HTTP 403: networkhealths.netmedic.io ".*" is forbidden/) });
    expect(classifyError(error)).toBe("terminal");
    expect(`${error.message}${error.stack}`).not.toContain(tokenOf(identity));
  });

  it("a rotated token file is re-read after a 401, within the one-minute cache", async () => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "expired-or-revoked-token");
    const rotating = await load(writeKubeconfig(dir, "token-file", cluster.server, { "certificate-authority-data": caData }, { tokenFile }));
    await expect(rotating.get(name)).rejects.toMatchObject({ code: 401 });
    writeFileSync(tokenFile, `${tokenOf(identity)}\n`);
    expect((await rotating.get(name))?.metadata.name).toBe(name);
  });

  it("client-certificate files authenticate a user bound to the agent's role", async () => {
    const user = uniqueName("netmedic-agent-cert");
    await bindAgentRole(cluster.kubeConfig, { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user });
    const [cert, key, csr] = ["client.crt", "client.key", "client.csr"].map((f) => join(dir, f)) as [string, string, string];
    execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-subj", `/CN=${user}`, "-out", csr], { stdio: "ignore" });
    execFileSync("openssl", ["x509", "-req", "-in", csr, "-CA", cluster.pki.caCert, "-CAkey", cluster.pki.caKey, "-CAcreateserial", "-days", "1", "-out", cert], { stdio: "ignore" });
    const byCert = await load(writeKubeconfig(dir, "cert", cluster.server, { "certificate-authority": cluster.caCertPath }, { "client-certificate": cert, "client-key": key }));
    expect((await byCert.get(name))?.metadata.name).toBe(name);
  });

  it("TLS: an unknown CA is refused unless insecure-skip-tls-verify", async () => {
    const token = tokenOf(identity);
    const strict = await load(writeKubeconfig(dir, "no-ca", cluster.server, {}, { token }));
    await expect(strict.get(name)).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SIGNED|VERIFY/) });
    const insecure = await load(writeKubeconfig(dir, "insecure", cluster.server, { "insecure-skip-tls-verify": true }, { token }));
    expect((await insecure.get(name))?.metadata.name).toBe(name);
  });
});
