/**
 * Command lines of the control-plane processes, shared by the plane itself (control-plane.ts) and
 * by the apiserver replicas that join its etcd (replica.ts): one place decides the flags, so a
 * replica is configured exactly like the apiserver it stands next to.
 */
import { existsSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { ControlPlaneBinaries } from "./binaries.js";
import type { Pki } from "./pki.js";

/** etcd 3.4 has no --unsafe-no-fsync: keep its data in memory (/dev/shm) when available. */
export function etcdDataDir(dir: string): string {
  return existsSync("/dev/shm") ? join("/dev/shm", `${basename(dir)}-etcd`) : join(dir, "etcd");
}

/** etcd serving clients on 127.0.0.1:`clientPort`, data in etcdDataDir(dir). */
export function etcdArgv(bin: ControlPlaneBinaries, dir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [bin.etcd, "--name=default", `--data-dir=${etcdDataDir(dir)}`, `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=default=${peer}`, "--logger=zap", "--log-level=warn"];
}

/** Audit flags: every request at Metadata level (cheap: no bodies) as JSON lines in `${dir}/audit.log`. */
export function auditArgv(dir: string): string[] {
  const policy = join(dir, "audit-policy.yaml");
  writeFileSync(policy, "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n");
  return [`--audit-policy-file=${policy}`, `--audit-log-path=${join(dir, "audit.log")}`, "--audit-log-format=json", "--audit-log-mode=blocking"];
}

/** What one kube-apiserver needs: where etcd is, its port, the shared PKI and token file. */
export interface ApiServerSetup {
  etcdEndpoint: string;
  port: number;
  pki: Pki;
  tokenFile: string;
  /** Its own scratch dir (--cert-dir; unused with the given serving cert, but never shared). */
  certDir: string;
  watchCache: boolean;
  /** Serve /debug/pprof (off unless asked: the bench's `--apiserver-profile-seconds`). */
  profiling?: boolean;
  /**
   * A plane for real kubelets: ServiceAccount admission on (pods get tokens), the Node authorizer and
   * NodeRestriction as kubeadm sets them, and traffic to kubelets through this egress selector file.
   */
  realNodes?: { egressSelectorConfig: string };
}

/**
 * Admission and authorization. Without real nodes ServiceAccount admission is off: no kubelet mounts
 * tokens, and with it every new namespace rejects pods until the token controller has caught up
 * (flaky DaemonSet tests). With real nodes, as kubeadm runs a cluster.
 */
function accessArgv(setup: ApiServerSetup): string[] {
  if (!setup.realNodes) return ["--disable-admission-plugins=ServiceAccount", "--authorization-mode=RBAC"];
  // Kubelets by their InternalIP first, as k0s and kubeadm configure it (node names resolve nowhere here).
  return ["--enable-admission-plugins=NodeRestriction", "--authorization-mode=Node,RBAC", `--egress-selector-config-file=${setup.realNodes.egressSelectorConfig}`,
    "--kubelet-preferred-address-types=InternalIP,Hostname"];
}

/**
 * kube-apiserver flags. The endpoint reconciler is off ("none"), so any number of apiservers on one
 * etcd never fight over default/kubernetes (a test owns that object, as k3s' servers would).
 */
export function apiserverArgv(bin: ControlPlaneBinaries, setup: ApiServerSetup): string[] {
  const { pki } = setup;
  return [bin.apiserver, `--watch-cache=${setup.watchCache}`, ...accessArgv(setup), `--etcd-servers=${setup.etcdEndpoint}`,
    "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${setup.port}`, "--insecure-port=0",
    `--tls-cert-file=${pki.servingCert}`, `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`, `--token-auth-file=${setup.tokenFile}`,
    `--service-account-key-file=${pki.serviceAccountPub}`, `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local", "--api-audiences=https://kubernetes.default.svc.cluster.local",
    "--service-cluster-ip-range=10.96.0.0/16", "--endpoint-reconciler-type=none", "--allow-privileged=true",
    `--requestheader-client-ca-file=${pki.caCert}`, `--proxy-client-cert-file=${pki.proxyClientCert}`, `--proxy-client-key-file=${pki.proxyClientKey}`,
    "--requestheader-allowed-names=front-proxy-client", "--requestheader-username-headers=X-Remote-User",
    "--requestheader-group-headers=X-Remote-Group", "--requestheader-extra-headers-prefix=X-Remote-Extra-", "--enable-aggregator-routing=true",
    `--cert-dir=${setup.certDir}`, `--profiling=${setup.profiling ?? false}`, "--v=1"];
}

/** kube-controller-manager with every controller, node lifecycle checked every 2 s. */
export function controllerManagerArgv(bin: ControlPlaneBinaries, kubeconfig: string, pki: Pki, graceSeconds: number): string[] {
  return [bin.controllerManager, `--kubeconfig=${kubeconfig}`, "--port=0", "--secure-port=0", "--leader-elect=false",
    `--service-account-private-key-file=${pki.serviceAccountKey}`, `--root-ca-file=${pki.caCert}`, "--use-service-account-credentials=false",
    "--controllers=*", `--node-monitor-grace-period=${graceSeconds}s`, "--node-monitor-period=2s", "--node-startup-grace-period=20s",
    "--concurrent-gc-syncs=5", "--profiling=false", "--v=1"];
}

/** kube-scheduler without leader election (there is one). */
export function schedulerArgv(bin: ControlPlaneBinaries, kubeconfig: string): string[] {
  return [bin.scheduler, `--kubeconfig=${kubeconfig}`, "--port=0", "--secure-port=0", "--leader-elect=false", "--profiling=false", "--v=1"];
}

/**
 * The apiserver's egress selector: cluster-bound traffic (kubelet logs and exec, aggregated APIs)
 * goes through an HTTP CONNECT proxy on a UNIX socket, as with konnectivity — here because the
 * kubelets live in lab network namespaces this machine's loopback cannot route to.
 */
export function writeEgressSelector(dir: string, socket: string): string {
  const path = join(dir, "egress-selector.yaml");
  writeFileSync(path, [
    "apiVersion: apiserver.k8s.io/v1beta1", "kind: EgressSelectorConfiguration", "egressSelections:", "- name: cluster", "  connection:",
    "    proxyProtocol: HTTPConnect", "    transport:", "      uds:", `        udsName: ${socket}`, "",
  ].join("\n"));
  return path;
}
