// The agent's kubeconfig reader (no client-node): what it supports, what it refuses in one line,
// and the resolution order it shares with loadKubeConfig.
import { afterAll, describe, expect, it } from "@jest/globals";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { kubeconfigCredentials } from "../../../src/k8s/light/kubeconfig-credentials.js";
import { loadRestCredentials, type RestCredentials } from "../../../src/k8s/light/rest-credentials.js";

const dir = mkdtempSync(join(tmpdir(), "netmedic-kubeconfig-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string): string => {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
};
file("ca.pem", "CA-FROM-FILE");
file("client.crt", "CERT-FROM-FILE");
file("client.key", "KEY-FROM-FILE");
file("token", "token-from-file\n");
const b64 = (text: string): string => Buffer.from(text).toString("base64");
const SECRET = "s3cret-token-value";

/** A kubeconfig with one context "ctx" of the given cluster and user fields. */
function kubeconfig(name: string, cluster: Record<string, unknown>, user?: Record<string, unknown>, current: string | null = "ctx"): string {
  return file(name.replace(/[^a-z0-9.-]+/gi, "_"), stringify({
    apiVersion: "v1", kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443/", ...cluster } }],
    users: user ? [{ name: "u", user }] : [],
    contexts: [{ name: "ctx", context: { cluster: "c", ...(user ? { user: "u" } : {}) } }],
    ...(current ? { "current-context": current } : {}),
  }));
}

const text = (value: string | Buffer | undefined): string | undefined => value?.toString();
const summary = (c: RestCredentials) => ({
  server: c.server, token: c.token?.current(), ca: text(c.tls.ca), cert: text(c.tls.cert), key: text(c.tls.key),
  rejectUnauthorized: c.tls.rejectUnauthorized, servername: c.tls.servername,
});

describe("kubeconfigCredentials: supported", () => {
  it.each([
    ["inline token + CA data", { "certificate-authority-data": b64("CA-DATA") }, { token: SECRET },
      { token: SECRET, ca: "CA-DATA", rejectUnauthorized: true }],
    ["tokenFile (relative to the kubeconfig) + CA file", { "certificate-authority": "ca.pem" }, { tokenFile: "token" },
      { token: "token-from-file", ca: "CA-FROM-FILE" }],
    ["client-node's token-file spelling", {}, { "token-file": join(dir, "token") }, { token: "token-from-file" }],
    ["client certificate and key data", { "certificate-authority-data": b64("CA-DATA") }, { "client-certificate-data": b64("CERT-DATA"), "client-key-data": b64("KEY-DATA") },
      { cert: "CERT-DATA", key: "KEY-DATA", token: undefined }],
    ["client certificate and key files", {}, { "client-certificate": "client.crt", "client-key": join(dir, "client.key") },
      { cert: "CERT-FROM-FILE", key: "KEY-FROM-FILE" }],
    ["insecure-skip-tls-verify and tls-server-name", { "insecure-skip-tls-verify": true, "tls-server-name": "kubernetes" }, { token: SECRET },
      { rejectUnauthorized: false, servername: "kubernetes", ca: undefined }],
    ["no user at all (anonymous)", {}, undefined, { token: undefined, cert: undefined }],
    ["kubectl's empty leftovers are ignored", {}, { token: SECRET, username: "", password: null },
      { token: SECRET }],
  ])("%s", (name, cluster, user, expected) => {
    const credentials = kubeconfigCredentials([kubeconfig(`${name}.yaml`, cluster, user)]);
    expect(summary(credentials)).toMatchObject({ server: "https://10.0.0.1:6443", ...expected });
  });
});

describe("kubeconfigCredentials: refused in one line naming what is supported", () => {
  it.each([
    ["exec plugin", {}, { token: SECRET, exec: { command: "aws", apiVersion: "client.authentication.k8s.io/v1" } }, "ctx", /user "u" uses exec; the agent supports token, tokenFile, client-certificate/],
    ["auth-provider", {}, { "auth-provider": { name: "oidc" } }, "ctx", /uses auth-provider; the agent supports/],
    ["username/password", {}, { username: "admin", password: SECRET }, "ctx", /uses username, password; the agent supports/],
    ["proxy-url", { "proxy-url": "http://proxy:3128" }, { token: SECRET }, "ctx", /cluster "c" uses proxy-url; the agent supports server/],
    ["no current-context", {}, { token: SECRET }, null, /has no current-context/],
    ["unknown current-context", {}, { token: SECRET }, "other", /current-context "other" is not among its contexts/],
    ["certificate without key", {}, { "client-certificate-data": b64("CERT") }, "ctx", /needs both client-certificate\(-data\) and client-key\(-data\)/],
    ["missing CA file", { "certificate-authority": "nope.pem" }, { token: SECRET }, "ctx", /cannot read certificate-authority .*nope\.pem: ENOENT/],
  ])("%s", (name, cluster, user, current, message) => {
    const path = kubeconfig(`bad-${name}.yaml`, cluster, user, current);
    const error = (() => {
      try {
        kubeconfigCredentials([path]);
      } catch (caught) {
        return caught as Error;
      }
      throw new Error("expected an error");
    })();
    expect(error.message).toMatch(message);
    expect(error.message).toContain(path);
    expect(error.message).not.toContain("\n");
    expect(error.message).not.toContain(SECRET);
  });

  it("a missing file names the file", () => {
    expect(() => kubeconfigCredentials([join(dir, "absent.yaml")])).toThrow(/cannot load kubeconfig .*absent\.yaml: ENOENT/);
  });
});

describe("loadRestCredentials: the order of loadKubeConfig", () => {
  const home = join(dir, "home");
  mkdirSync(join(home, ".kube"), { recursive: true });
  writeFileSync(join(home, ".kube", "config"), stringify({
    clusters: [{ name: "h", cluster: { server: "https://home:6443" } }], users: [{ name: "h", user: { token: "t" } }],
    contexts: [{ name: "h", context: { cluster: "h", user: "h" } }], "current-context": "h",
  }));
  const sa = join(dir, "serviceaccount");
  mkdirSync(sa, { recursive: true });
  writeFileSync(join(sa, "ca.crt"), "SA-CA");
  writeFileSync(join(sa, "token"), "sa-token");
  const flagFile = kubeconfig("flag.yaml", {}, { token: "flag" });
  const envFile = file("env.yaml", stringify({
    clusters: [{ name: "e", cluster: { server: "https://env:6443" } }], contexts: [{ name: "e", context: { cluster: "e" } }], "current-context": "e",
  }));
  const inCluster = { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" };

  it.each([
    ["--kubeconfig wins over everything", flagFile, { KUBECONFIG: envFile, ...inCluster }, home, "https://10.0.0.1:6443"],
    ["then $KUBECONFIG (several files: the last current-context wins)", undefined, { KUBECONFIG: `${flagFile}::${envFile}` }, home, "https://env:6443"],
    ["then ~/.kube/config", undefined, inCluster, home, "https://home:6443"],
    ["then the in-cluster service account (IPv6 host bracketed)", undefined, inCluster, join(dir, "nohome"), "https://[fd00::1]:443"],
  ])("%s", async (_name, path, env, homeDir, server) => {
    const credentials = await loadRestCredentials(path, { env, home: homeDir, serviceAccountDir: sa });
    expect(credentials.server).toBe(server);
  });

  it("in-cluster: the service account's CA and token file", async () => {
    const credentials = await loadRestCredentials(undefined, { env: inCluster, home: join(dir, "nohome"), serviceAccountDir: sa });
    expect(summary(credentials)).toMatchObject({ ca: "SA-CA", token: "sa-token", rejectUnauthorized: true });
    expect(credentials.describe).toBe("in-cluster service account");
  });

  it("nothing found → one line saying where it looked", async () => {
    const none = loadRestCredentials(undefined, { env: {}, home: join(dir, "nohome"), serviceAccountDir: join(dir, "nosa") });
    await expect(none).rejects.toThrow(/^no kubeconfig: pass --kubeconfig, set KUBECONFIG, create ~\/\.kube\/config or run in a pod/);
  });
});
