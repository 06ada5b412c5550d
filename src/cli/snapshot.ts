/**
 * Reads a snapshot — a multi-document YAML and/or `kubectl get -o yaml` Lists of Nodes, APIServices,
 * Pods, Endpoints, NetworkHealths (agent reports), PodLogExcerpts and an optional SnapshotInfo —
 * into ObservationSources. Every problem is a SnapshotError with one line naming the document.
 */
import { parseAllDocuments } from "yaml";
import { SnapshotError } from "./errors.js";
import { KONNECTIVITY_DEFAULT_SELECTOR, type NetworkHealth } from "../api/index.js";
import { namespacedName, type KubeAPIService, type KubeEndpoints, type KubeNode, type KubePod, type ObservationSources } from "../core/index.js";

export { SnapshotError };

const SUPPORTED = ["Node", "APIService", "Pod", "Endpoints", "NetworkHealth", "PodLogExcerpt", "SnapshotInfo", "List"];

interface RawObject {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; labels?: Record<string, string> };
  [key: string]: unknown;
}

function flatten(documents: unknown[], where: string): Array<{ object: RawObject; where: string }> {
  return documents.flatMap((document, index) => {
    const label = `${where} document ${index + 1}`;
    if (document === null || document === undefined) return [];
    if (typeof document !== "object" || Array.isArray(document)) throw new SnapshotError(`${label}: not a Kubernetes object`);
    const object = document as RawObject;
    if (object.kind === "List") {
      if (!Array.isArray(object["items"])) throw new SnapshotError(`${label}: List without items`);
      return flatten(object["items"] as unknown[], `${label} item`);
    }
    return [{ object, where: label }];
  });
}

function requireField(ok: boolean, where: string, kind: string, field: string): void {
  if (!ok) throw new SnapshotError(`${where} (${kind}): ${field} is required`);
}

function matchesSelector(labels: Record<string, string> | undefined, selector: string): boolean {
  return selector.split(",").every((term) => {
    const [key, value] = term.split("=");
    return key !== undefined && labels?.[key.trim()] === value?.trim();
  });
}

/** Parses snapshot text. `fallbackNow` is used when the snapshot has no SnapshotInfo.capturedAt. */
export function parseSnapshot(text: string, name: string, fallbackNow: string): ObservationSources {
  const documents = parseAllDocuments(text);
  const parseErrors = (Array.isArray(documents) ? documents : [documents]).flatMap((d) => d.errors);
  if (parseErrors.length > 0) throw new SnapshotError(`${name}: not valid YAML: ${parseErrors[0]?.message.split("\n")[0] ?? ""}`);
  const objects = flatten((Array.isArray(documents) ? documents : [documents]).map((d) => d.toJS()), name);
  if (objects.length === 0) throw new SnapshotError(`${name}: no objects in the snapshot`);
  const sources: ObservationSources = { now: fallbackNow, nodes: [], apiServices: [], konnectivityPods: [], networkHealths: [], logs: {} };
  for (const { object, where } of objects) addObject(sources, object, where);
  if (sources.nodes.length === 0) throw new SnapshotError(`${name}: the snapshot holds no Node`);
  return sources;
}

function addObject(sources: ObservationSources, object: RawObject, where: string): void {
  const kind = typeof object.kind === "string" ? object.kind : "";
  if (!SUPPORTED.includes(kind)) {
    throw new SnapshotError(`${where}: kind ${kind || "(missing)"} is not supported in a snapshot (supported: ${SUPPORTED.join(", ")})`);
  }
  const name = object.metadata?.name;
  if (kind === "SnapshotInfo") {
    requireField(typeof object["capturedAt"] === "string" && !Number.isNaN(Date.parse(object["capturedAt"] as string)), where, kind, "capturedAt (RFC 3339)");
    sources.now = new Date(object["capturedAt"] as string).toISOString();
    return;
  }
  requireField(typeof name === "string" && name !== "", where, kind, "metadata.name");
  if (kind === "Node") sources.nodes.push(object as KubeNode);
  if (kind === "APIService") sources.apiServices.push(object as KubeAPIService);
  if (kind === "NetworkHealth") sources.networkHealths.push(object as unknown as NetworkHealth);
  if (kind === "Pod" && matchesSelector(object.metadata?.labels, KONNECTIVITY_DEFAULT_SELECTOR)) sources.konnectivityPods.push(object as KubePod);
  if (kind === "Endpoints" && name === "kubernetes" && (object.metadata?.namespace ?? "default") === "default") {
    sources.kubernetesEndpoints = object as KubeEndpoints;
  }
  if (kind === "PodLogExcerpt") {
    const lines = object["lines"];
    requireField(Array.isArray(lines) && lines.every((line) => typeof line === "string"), where, kind, "lines (a list of strings)");
    const namespace = typeof object.metadata?.namespace === "string" ? object.metadata.namespace : "default";
    (sources.logs ??= {})[namespacedName({ namespace, name: String(name) })] = { lines: lines as string[] };
  }
}
