/**
 * Test PKI made with openssl (P-256 keys: generated in milliseconds, where RSA-2048 costs seconds): a CA, the apiserver's serving certificate for 127.0.0.1/localhost,
 * an aggregator front-proxy client certificate, and the service-account signing key pair.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Paths of the generated files. */
export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  proxyClientCert: string;
  proxyClientKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function signed(dir: string, name: string, subject: string, pki: { caCert: string; caKey: string }, extensions?: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-subj", subject, "-out", csr]);
  const args = ["x509", "-req", "-in", csr, "-CA", pki.caCert, "-CAkey", pki.caKey, "-CAcreateserial", "-days", "2", "-out", cert];
  if (extensions) {
    const extFile = join(dir, `${name}.ext`);
    writeFileSync(extFile, extensions);
    args.push("-extfile", extFile);
  }
  openssl(args);
  return { cert, key };
}

/**
 * Generates the PKI into `dir`. `extraIps` join the serving certificate's IP SANs: a plane that real
 * nodes reach through the `kubernetes` Service's ClusterIP and an API address of the lab needs both.
 */
export function generatePki(dir: string, extraIps: readonly string[] = []): Pki {
  const caCert = join(dir, "ca.crt");
  const caKey = join(dir, "ca.key");
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", caKey, "-out", caCert, "-days", "2", "-subj", "/CN=netmedic-test-ca"]);
  const ca = { caCert, caKey };
  const serving = signed(dir, "apiserver", "/CN=kube-apiserver", ca,
    `subjectAltName=${["IP:127.0.0.1", ...extraIps.map((ip) => `IP:${ip}`), "DNS:localhost", "DNS:kubernetes.default.svc"].join(",")}\nextendedKeyUsage=serverAuth\n`);
  const proxy = signed(dir, "front-proxy-client", "/CN=front-proxy-client", ca, "extendedKeyUsage=clientAuth\n");
  const serviceAccountKey = join(dir, "sa.key");
  const serviceAccountPub = join(dir, "sa.pub");
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", serviceAccountKey]);
  openssl(["ec", "-in", serviceAccountKey, "-pubout", "-out", serviceAccountPub]);
  return {
    caCert, caKey, servingCert: serving.cert, servingKey: serving.key, proxyClientCert: proxy.cert, proxyClientKey: proxy.key,
    serviceAccountKey, serviceAccountPub,
  };
}
