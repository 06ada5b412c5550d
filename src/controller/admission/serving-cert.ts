/**
 * The webhook's serving certificate: a P-256 key made at start and a self-signed X.509 v3
 * certificate for the webhook Service's DNS names, built with node:crypto alone. Node can make keys
 * and sign but has no certificate builder, so the DER is written here (about 80 lines of ASN.1)
 * rather than adding a dependency (node-forge, @peculiar/x509) to every controller image for one
 * certificate. The key never leaves the process: no Secret to store it in, none for the controller
 * to be allowed to read; each replica publishes its certificate in the webhook's caBundle
 * (ca-bundle.ts), where kube-apiserver trusts a self-signed leaf directly.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

/** PEM certificate and key. */
export interface ServingCert {
  certPem: string;
  keyPem: string;
}

/** Who the certificate is for and how long it lasts. */
export interface CertRequest {
  /** Subject common name: the replica's Pod name, so ca-bundle.ts can tell replicas apart. */
  commonName: string;
  dnsNames: string[];
  ipAddresses?: string[];
  notBefore: Date;
  validDays: number;
}

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  const n = body.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
};
const seq = (...items: Buffer[]): Buffer => tlv(0x30, ...items);

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let value = arc >> 7; value > 0; value >>= 7) chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** DER INTEGER of unsigned big-endian bytes (a leading 0 keeps it positive). */
const uint = (bytes: Buffer): Buffer => tlv(0x02, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);

function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

const name = (commonName: string): Buffer => seq(tlv(0x31, seq(oid("2.5.4.3"), tlv(0x0c, Buffer.from(commonName)))));
const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));

function extensions(request: CertRequest): Buffer {
  const ips = (request.ipAddresses ?? []).map((ip) => tlv(0x87, Buffer.from(ip.split(".").map(Number))));
  const dns = request.dnsNames.map((host) => tlv(0x82, Buffer.from(host)));
  return tlv(0xa3, seq(
    extension("2.5.29.19", true, seq()), // basicConstraints: not a CA
    extension("2.5.29.15", true, tlv(0x03, Buffer.from([0x07, 0x80]))), // keyUsage: digitalSignature
    extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
    extension("2.5.29.17", false, seq(...dns, ...ips)), // subjectAltName
  ));
}

const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

function tbs(request: CertRequest, publicKey: KeyObject): Buffer {
  const notAfter = new Date(request.notBefore.getTime() + request.validDays * 86_400_000);
  const spki = publicKey.export({ type: "spki", format: "der" });
  return seq(tlv(0xa0, uint(Buffer.from([2]))), uint(randomBytes(16)), ECDSA_SHA256, name(request.commonName),
    seq(time(request.notBefore), time(notAfter)), name(request.commonName), spki, extensions(request));
}

const pem = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END ${label}-----\n`;

/** A fresh key and a self-signed certificate for `request`. */
export function selfSignedCert(request: CertRequest): ServingCert {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const body = tbs(request, publicKey);
  const signature = sign("sha256", body, { key: privateKey, dsaEncoding: "der" });
  const certificate = seq(body, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), signature));
  return { certPem: pem("CERTIFICATE", certificate), keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}
