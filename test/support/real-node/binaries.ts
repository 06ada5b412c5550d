/**
 * What a real node in the lab runs, and the one-line verdict when something is not provisioned:
 * kubelet, kube-proxy and the pause binary from the control plane's build (same Debian source),
 * containerd/runc/CNI plugins/socat/iptables from Debian (scripts/real-node/install.sh), and the
 * images built here (scripts/image/build.sh). Never a skip: a missing part fails the tests.
 */
import { constants } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { accessible, cacheDirectory } from "../control-plane/binaries.js";

/** Programs and image archives of a real node. */
export interface NodeBinaries {
  kubelet: string;
  kubeProxy: string;
  containerd: string;
  ctr: string;
  socat: string;
  cniBinDir: string;
  /** Image archives to import into each node's containerd (netmedic's image, the pause image). */
  images: { netmedic: string; pause: string };
}

/** The message shown when a real-node part is missing. */
export const NODE_NOT_PROVISIONED = "real nodes not provisioned: run `npm test` as root once (scripts/provision.sh builds and installs them)";

/** The image names the archives carry (scripts/image/build.sh tags them so). */
export const NETMEDIC_IMAGE = "localhost/netmedic:dev";
/** The sandbox image: containerd's CRI sandbox_image (containerd.ts) and kubelet v1.20's default --pod-infra-container-image alike. */
export const PAUSE_IMAGE = "k8s.gcr.io/pause:3.2";

/** Where scripts/image/build.sh leaves the image archives. */
export function imageDirectory(): string {
  return join(process.env["NETMEDIC_CACHE"] ?? join(homedir(), ".cache/netmedic"), "images");
}

/** The binaries and images, or an Error carrying NODE_NOT_PROVISIONED and what is missing. */
export function findNodeBinaries(): NodeBinaries | Error {
  const bin = join(cacheDirectory(), "bin");
  const found: NodeBinaries = {
    kubelet: join(bin, "kubelet"), kubeProxy: join(bin, "kube-proxy"), containerd: "/usr/bin/containerd", ctr: "/usr/bin/ctr",
    socat: "/usr/bin/socat", cniBinDir: "/usr/lib/cni",
    images: { netmedic: join(imageDirectory(), "netmedic.tar"), pause: join(imageDirectory(), "pause.tar") },
  };
  const programs = [found.kubelet, found.kubeProxy, found.containerd, found.ctr, found.socat, "/usr/bin/containerd-shim-runc-v2", "/usr/sbin/runc",
    join(found.cniBinDir, "bridge"), join(found.cniBinDir, "host-local"), join(found.cniBinDir, "loopback"), "/usr/sbin/iptables"];
  const missing = [...programs.filter((p) => !accessible(p)), ...Object.values(found.images).filter((p) => !accessible(p, constants.R_OK))];
  return missing.length ? new Error(`${NODE_NOT_PROVISIONED} (missing: ${missing.join(", ")})`) : found;
}
