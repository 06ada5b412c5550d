/** Writes token-authenticated kubeconfig files that both client-node and kfc accept (CA embedded). */
import { readFileSync, writeFileSync } from "node:fs";
import { stringify } from "yaml";

/** Writes a kubeconfig for `server` with the CA at `caCertPath` and a bearer token; returns its path. */
export function writeKubeconfig(path: string, server: string, caCertPath: string, user: string, token: string): string {
  const caData = readFileSync(caCertPath).toString("base64");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "netmedic-test", cluster: { server, "certificate-authority-data": caData } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: "netmedic-test", context: { cluster: "netmedic-test", user } }],
    "current-context": "netmedic-test",
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}
