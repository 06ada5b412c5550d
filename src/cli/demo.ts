/**
 * `netmedic demo`: diagnoses the bundled example snapshots (the two incidents, a k3s node behind
 * ufw, strict rp_filter, missing kernel modules and a healthy cluster) — the embedded default of the README's quick start.
 */
import { fileURLToPath } from "node:url";
import { diagnoseSnapshotFile, formatReport } from "./diagnose.js";

/** The bundled examples, in the order the demo shows them. */
const DEMO_EXAMPLES = [
  { file: "k0s-firewalld.yaml", title: "k0s worker behind firewalld — metrics API unavailable (No agent available)" },
  { file: "k3s-etcd-only.yaml", title: "k3s agent pinned to an etcd-only server — node NotReady" },
  { file: "k3s-ufw.yaml", title: "k3s agent on Ubuntu behind ufw — cross-node pod traffic dropped" },
  { file: "k3s-rp-filter.yaml", title: "k3s agent after an OS upgrade set strict rp_filter — asymmetric pod traffic dropped" },
  { file: "k3s-modules.yaml", title: "k3s agents without the vxlan module — flannel: operation not supported" },
  { file: "healthy.yaml", title: "healthy kubeadm cluster" },
];

/** Where the examples live: `examples/` at the package root, from src/cli or dist/cli alike. */
export function examplesDirectory(): string {
  return fileURLToPath(new URL("../../examples/", import.meta.url));
}

/** Runs the demo; returns the exit code. */
export async function runDemo(write: (text: string) => void): Promise<number> {
  for (const example of DEMO_EXAMPLES) {
    write(`\n=== ${example.title} (examples/${example.file})\n`);
    write(formatReport(diagnoseSnapshotFile(`${examplesDirectory()}${example.file}`), "text"));
  }
  return 0;
}
