/**
 * `netmedic controller` flags (the convention of every entry point: core/flags.ts). Durations of
 * the leader election are flags too, so tests can fail over in seconds; production keeps
 * client-go's defaults (15s lease, 10s renew deadline, 2s retry).
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { NETMEDIC_NAMESPACE } from "../../api/index.js";
import { durationFlag, invalidFlag, logLevelFlag, UsageError } from "../../core/flags.js";

/** Parsed controller flags. */
export interface ControllerFlags {
  /** Out-of-cluster kubeconfig; undefined = in-cluster (or KUBECONFIG / ~/.kube/config). */
  kubeconfig?: string;
  namespace: string;
  /** Config file; undefined = ConfigMap netmedic-config in `namespace`, watched. */
  configPath?: string;
  listen: { host?: string; port: number };
  identity: string;
  leaseName: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  logLevel: string;
}

/** Usage text of `netmedic controller`. */
export const CONTROLLER_USAGE = `usage: netmedic controller [flags]
  --kubeconfig PATH      kubeconfig for out-of-cluster runs (default: in-cluster service account)
  --namespace NS         netmedic's namespace: Lease, ConfigMap netmedic-config (default netmedic)
  --config PATH          read the config from this file instead of the ConfigMap
  --listen [HOST]:PORT   metrics and health endpoints (default :8080)
  --identity ID          leader-election identity (default POD_NAME or hostname, pid and a random suffix)
  --lease-name NAME      leader-election Lease (default netmedic-controller)
  --lease-duration D, --renew-deadline D, --retry-period D   leader election timing, durations (15s, 10s, 2s)
  --log-level LEVEL      pino level (default info)`;

/**
 * The default identity. Hostname and pid alone are not unique: the controller runs with
 * hostNetwork (hostname = the node's) in its own PID namespace (pid 1), so two replicas on one node
 * would share "node_1" and both believe they hold the Lease. The random suffix also makes a
 * restarted process a new holder, as client-go does.
 */
export function defaultIdentity(): string {
  const host = process.env["POD_NAME"] || hostname();
  return `${host}_${process.pid}_${randomBytes(3).toString("hex")}`;
}

/** Parses "[host]:port" (":8080", "127.0.0.1:0", "[::1]:9464"). */
export function parseListen(value: string): { host?: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw invalidFlag("listen", value, "[HOST]:PORT such as :8080");
  const host = match[1] ?? match[2];
  return { host: host === "" ? undefined : host, port };
}

/** A leader-election duration flag in seconds (the Lease API's unit). */
const seconds = (flag: string, value: string | undefined, fallback: string): number => durationFlag(flag, value, fallback) / 1000;

/** Parses argv (after `controller`); throws a UsageError on unknown flags or bad values. */
export function parseControllerFlags(argv: string[]): ControllerFlags {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      kubeconfig: { type: "string" }, namespace: { type: "string" }, config: { type: "string" }, listen: { type: "string" },
      identity: { type: "string" }, "lease-name": { type: "string" }, "lease-duration": { type: "string" },
      "renew-deadline": { type: "string" }, "retry-period": { type: "string" }, "log-level": { type: "string" },
    },
  });
  const flags: ControllerFlags = {
    kubeconfig: values.kubeconfig,
    namespace: values.namespace ?? NETMEDIC_NAMESPACE,
    configPath: values.config,
    listen: parseListen(values.listen ?? ":8080"),
    identity: values.identity ?? defaultIdentity(),
    leaseName: values["lease-name"] ?? "netmedic-controller",
    leaseDurationSeconds: seconds("lease-duration", values["lease-duration"], "15s"),
    renewDeadlineSeconds: seconds("renew-deadline", values["renew-deadline"], "10s"),
    retryPeriodSeconds: seconds("retry-period", values["retry-period"], "2s"),
    logLevel: logLevelFlag(values["log-level"]),
  };
  if (!(flags.retryPeriodSeconds < flags.renewDeadlineSeconds && flags.renewDeadlineSeconds < flags.leaseDurationSeconds)) {
    throw new UsageError("leader election needs --retry-period < --renew-deadline < --lease-duration, so a leader steps down before its Lease can be taken");
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(flags.namespace)) throw invalidFlag("namespace", flags.namespace, "a namespace name (lowercase letters, digits, '-')");
  return flags;
}
