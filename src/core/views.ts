/**
 * Turns Kubernetes objects (as plain JSON, from a snapshot file or an informer cache) into the
 * core's views. Structural input types only — no client library — and tolerant of missing fields:
 * a malformed object yields a view with less evidence, never an exception.
 */
import type { APIServerEndpoints, APIServiceView, ConditionStatus, KonnectivityAgentView, NodeView } from "./observation.js";

interface Meta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface KubeCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string | Date;
}

/** The fields of a v1 Node the core reads. */
export interface KubeNode {
  metadata?: Meta;
  spec?: { podCIDR?: string };
  status?: { addresses?: Array<{ type?: string; address?: string }>; conditions?: KubeCondition[] };
}

/** The fields of an apiregistration.k8s.io/v1 APIService the core reads. */
export interface KubeAPIService {
  metadata?: Meta;
  spec?: { service?: { namespace?: string; name?: string; port?: number } | null };
  status?: { conditions?: KubeCondition[] };
}

/** The fields of a v1 Pod the core reads. */
export interface KubePod {
  metadata?: Meta;
  spec?: { nodeName?: string; containers?: Array<{ args?: string[]; command?: string[] }> };
  status?: { phase?: string; conditions?: KubeCondition[] };
}

/** The fields of a v1 Endpoints the core reads. */
export interface KubeEndpoints {
  metadata?: Meta;
  subsets?: Array<{ addresses?: Array<{ ip?: string }>; ports?: Array<{ port?: number; name?: string }> }>;
}

function conditionStatus(status: string | undefined): ConditionStatus {
  return status === "True" || status === "False" ? status : "Unknown";
}

function timeString(value: string | Date | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.toISOString() : value;
}

/** A Node's view; its Ready condition defaults to Unknown. */
export function nodeView(node: KubeNode): NodeView {
  const ready = node.status?.conditions?.find((condition) => condition.type === "Ready");
  return {
    name: node.metadata?.name ?? "",
    uid: node.metadata?.uid,
    labels: node.metadata?.labels ?? {},
    annotations: node.metadata?.annotations ?? {},
    addresses: (node.status?.addresses ?? []).flatMap((a) =>
      a.type && a.address ? [{ type: a.type, address: a.address }] : []),
    ready: conditionStatus(ready?.status),
    readyReason: ready?.reason,
    readyMessage: ready?.message,
    readySince: timeString(ready?.lastTransitionTime),
    podCIDR: node.spec?.podCIDR,
  };
}

/** An APIService's view from its Available condition. */
export function apiServiceView(apiService: KubeAPIService): APIServiceView {
  const available = apiService.status?.conditions?.find((condition) => condition.type === "Available");
  const service = apiService.spec?.service;
  return {
    name: apiService.metadata?.name ?? "",
    service: service?.name
      ? { namespace: service.namespace ?? "default", name: service.name, port: service.port }
      : undefined,
    available: conditionStatus(available?.status),
    reason: available?.reason,
    message: available?.message,
  };
}

/** Reads `--flag=value` or `--flag value` from container args. */
function argValue(args: readonly string[], flag: string): string | undefined {
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? "";
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
    if (arg === flag) return args[index + 1];
  }
  return undefined;
}

/** A konnectivity-agent pod's view: server host/port from its args, plus the given log lines. */
export function konnectivityAgentView(pod: KubePod, logLines: string[] = [], logError?: string): KonnectivityAgentView {
  const args = (pod.spec?.containers ?? []).flatMap((c) => [...(c.command ?? []), ...(c.args ?? [])]);
  const port = Number(argValue(args, "--proxy-server-port"));
  const ready = pod.status?.conditions?.find((condition) => condition.type === "Ready");
  return {
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    nodeName: pod.spec?.nodeName,
    phase: pod.status?.phase,
    ready: ready ? ready.status === "True" : undefined,
    serverHost: argValue(args, "--proxy-server-host"),
    serverPort: Number.isInteger(port) && port > 0 ? port : undefined,
    logLines,
    logError,
  };
}

/** The live apiserver addresses of the default/kubernetes Endpoints (port: the "https" port, else the first). */
export function apiServerEndpointsView(endpoints: KubeEndpoints): APIServerEndpoints | undefined {
  const subsets = endpoints.subsets ?? [];
  const addresses = [...new Set(subsets.flatMap((s) => (s.addresses ?? []).flatMap((a) => (a.ip ? [a.ip] : []))))];
  const ports = subsets.flatMap((s) => s.ports ?? []);
  const port = (ports.find((p) => p.name === "https") ?? ports[0])?.port;
  if (addresses.length === 0 || !port) return undefined;
  return { addresses: addresses.sort(), port };
}
