/**
 * deploy/'s manifests for one test file on the shared control plane: the same rules, bindings,
 * ServiceAccounts and ConfigMap, but in the file's own namespace instead of `netmedic`, and with
 * the objects outside it (ClusterRoles, ClusterRoleBindings, Roles in default and kube-system)
 * renamed with the same suffix. Two files applying deploy/ therefore never collide, and a file's
 * cleanup removes exactly what it created. The agents' heartbeat Lease namespace is the exception:
 * one per cluster by contract (the agents and the controller name it, not the config), so every file
 * shares it as it is — applied, never renamed, never deleted (another file may be using it).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseAllDocuments, stringify } from "yaml";
import { AGENT_LEASE_NAMESPACE } from "../../../src/api/index.js";

/** One deploy/ document as parsed: what the harness reads of it. */
export interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
}

const SHIPPED_NAMESPACE = "netmedic";
/** Namespaces deploy/ creates that are fixed by contract: shared by every file, never deleted. */
const SHARED_NAMESPACES = new Set([AGENT_LEASE_NAMESPACE]);
const isShared = (doc: Manifest) => doc.kind === "Namespace" && SHARED_NAMESPACES.has(doc.metadata.name);

/** The documents of `files`, moved from namespace `netmedic` to `namespace` (see the file comment). */
export function deployManifests(files: string[], namespace: string): Manifest[] {
  const suffix = namespace;
  const moved = (ns: string | undefined) => ns === SHIPPED_NAMESPACE;
  return files.flatMap((file) => parseAllDocuments(readFileSync(file, "utf8")).map((doc) => doc.toJS() as Manifest | null))
    .filter((doc): doc is Manifest => Boolean(doc?.kind))
    .map((doc) => {
      const copy = structuredClone(doc);
      if (isShared(copy)) return copy;
      if (copy.kind === "Namespace") copy.metadata.name = namespace;
      else if (moved(copy.metadata.namespace)) copy.metadata.namespace = namespace;
      else copy.metadata.name = `${copy.metadata.name}-${suffix}`;
      // A RoleBinding's Role lives in the binding's own namespace; a ClusterRole is always renamed.
      if (copy.roleRef && (copy.roleRef.kind === "ClusterRole" || !moved(doc.metadata.namespace))) copy.roleRef.name = `${copy.roleRef.name}-${suffix}`;
      for (const subject of copy.subjects ?? []) if (moved(subject.namespace)) subject.namespace = namespace;
      return copy;
    });
}

/** `kubectl apply` (or `delete`) of `manifests` with the kubeconfig at `kubeconfigPath`. */
export function kubectlManifests(verb: "apply" | "delete", kubeconfigPath: string, manifests: Manifest[]): void {
  const extra = verb === "delete" ? ["--ignore-not-found", "--wait=false"] : [];
  const documents = verb === "delete" ? manifests.filter((m) => !isShared(m)) : manifests;
  execFileSync("kubectl", ["--kubeconfig", kubeconfigPath, verb, ...extra, "-f", "-"], { input: documents.map((m) => stringify(m)).join("---\n"), stdio: ["pipe", "pipe", "pipe"] });
}
