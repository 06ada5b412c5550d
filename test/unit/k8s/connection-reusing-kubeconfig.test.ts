// The controller's API clients reuse TLS connections (client-node 1.4.0 alone opens one per request),
// and a rotated client certificate is picked up by the next request on a new connection. Against a
// local HTTPS stand-in with real TLS (openssl-made PKI), which counts handshakes and the client
// certificate each one presented.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createServer, type Server } from "node:https";
import type { TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { loadKubeConfig } from "../../../src/k8s/kubeconfig.js";
import { ConnectionReusingKubeConfig, sameTlsOptions } from "../../../src/k8s/connection-reusing-kubeconfig.js";
import { generatePki, type Pki } from "../../support/control-plane/pki.js";

describe("sameTlsOptions", () => {
  const ca = Buffer.from("ca");
  it.each([
    ["equal buffers with different identities", { ca, cert: Buffer.from("c") }, { ca: Buffer.from("ca"), cert: Buffer.from("c") }, true],
    ["a different client certificate", { ca, cert: Buffer.from("c1") }, { ca, cert: Buffer.from("c2") }, false],
    ["verification switched off", { ca }, { ca, rejectUnauthorized: false }, false],
    ["a different server name", { ca, servername: "a" }, { ca, servername: "b" }, false],
    ["CA lists compared item by item", { ca: [ca, Buffer.from("x")] }, { ca: [Buffer.from("ca"), Buffer.from("x")] }, true],
  ])("%s", (_name, a, b, same) => {
    expect(sameTlsOptions(a, b)).toBe(same);
  });
});

describe("ConnectionReusingKubeConfig against a TLS server", () => {
  const dir = mkdtempSync(join(tmpdir(), "netmedic-keepalive-"));
  let first: Pki;
  let second: Pki;
  let server: Server;
  /** One entry per TLS handshake: the subject+serial of the client certificate it presented. */
  const handshakes: string[] = [];
  const certPath = join(dir, "client.crt");
  const keyPath = join(dir, "client.key");
  let kubeconfigPath = "";

  beforeAll(async () => {
    mkdirSync(join(dir, "a"));
    mkdirSync(join(dir, "b"));
    first = generatePki(join(dir, "a"));
    second = generatePki(join(dir, "b"));
    server = createServer({
      cert: readFileSync(first.servingCert), key: readFileSync(first.servingKey),
      ca: [readFileSync(first.caCert), readFileSync(second.caCert)], requestCert: true, rejectUnauthorized: true,
    }, (req, res) => {
      req.resume();
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ apiVersion: "v1", kind: "NamespaceList", metadata: {}, items: [] }));
    });
    server.on("secureConnection", (socket: TLSSocket) => handshakes.push(socket.getPeerCertificate().serialNumber ?? "none"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    copyFileSync(first.proxyClientCert, certPath);
    copyFileSync(first.proxyClientKey, keyPath);
    kubeconfigPath = join(dir, "kubeconfig");
    writeFileSync(kubeconfigPath, [
      "apiVersion: v1", "kind: Config", "current-context: c",
      `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${(server.address() as AddressInfo).port}", certificate-authority: "${first.caCert}"}}]`,
      `users: [{name: u, user: {client-certificate: "${certPath}", client-key: "${keyPath}"}}]`,
      "contexts: [{name: c, context: {cluster: c, user: u}}]", "",
    ].join("\n"));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("reuses connections across requests, sequential and concurrent, and follows a rotated client certificate", async () => {
    const config = loadKubeConfig(kubeconfigPath);
    expect(config).toBeInstanceOf(ConnectionReusingKubeConfig);
    const api = config.makeApiClient(CoreV1Api);
    for (let i = 0; i < 20; i += 1) expect((await api.listNamespace()).items).toEqual([]);
    expect(handshakes).toHaveLength(1);

    await Promise.all(Array.from({ length: 4 }, () => api.listNamespace()));
    const afterBurst = handshakes.length;
    expect(afterBurst).toBeLessThanOrEqual(4);
    await Promise.all(Array.from({ length: 4 }, () => api.listNamespace()));
    expect(handshakes).toHaveLength(afterBurst);

    const oldSerial = handshakes[0];
    copyFileSync(second.proxyClientCert, certPath);
    copyFileSync(second.proxyClientKey, keyPath);
    await api.listNamespace();
    expect(handshakes).toHaveLength(afterBurst + 1);
    expect(handshakes.at(-1)).not.toBe(oldSerial);
    await api.listNamespace();
    expect(handshakes).toHaveLength(afterBurst + 1);
    (config as ConnectionReusingKubeConfig).closeConnections();
  });
});
