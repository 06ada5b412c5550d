/**
 * Keeps the agent and probe DaemonSets as the config says: applied (SSA, idempotent) when this
 * replica starts leading and whenever the config changes. The image is `agent.image`, else the
 * controller's own (read from its Pod, POD_NAME), so `kubectl apply` of the controller is all an
 * install needs. Failures are logged and retried on the next trigger, never fatal.
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { FIELD_MANAGER_CONTROLLER } from "../../api/index.js";
import { applyDaemonSets } from "../../k8s/daemonset-applier.js";
import { describeError } from "../runtime/api-errors.js";
import type { ControllerConfig } from "../config/config.js";
import { agentDaemonSet, DEFAULT_PROBE_PORT, probeDaemonSet } from "./workloads.js";

/** Applies the DaemonSets of one namespace. */
export class WorkloadOwner {
  private ownImage: string | undefined;

  /** @param podName this controller's Pod (env POD_NAME); absent out of cluster. */
  constructor(private readonly kubeConfig: KubeConfig, private readonly namespace: string, private readonly log: Logger,
    private readonly podName = process.env["POD_NAME"]) {}

  /** Applies both DaemonSets for `config`; resolves false (and logs why) when it could not. */
  async ensure(config: ControllerConfig): Promise<boolean> {
    try {
      const image = config.agent.image ?? (await this.controllerImage());
      if (!image) {
        this.log.warn({ namespace: this.namespace }, "agent image unknown: set agent.image in the config (not running in a Pod)");
        return false;
      }
      const settings = { namespace: this.namespace, image, agent: config.agent, probePort: DEFAULT_PROBE_PORT };
      await applyDaemonSets(this.kubeConfig, FIELD_MANAGER_CONTROLLER, [agentDaemonSet(settings), probeDaemonSet(settings)]);
      this.log.info({ namespace: this.namespace, image }, "agent and probe daemonsets applied");
      return true;
    } catch (error) {
      this.log.warn({ error: describeError(error), namespace: this.namespace }, "agent and probe daemonsets not applied");
      return false;
    }
  }

  private async controllerImage(): Promise<string | undefined> {
    if (this.ownImage || !this.podName) return this.ownImage;
    const pod = await this.kubeConfig.makeApiClient(CoreV1Api).readNamespacedPod({ name: this.podName, namespace: this.namespace });
    this.ownImage = pod.spec?.containers[0]?.image;
    return this.ownImage;
  }
}
