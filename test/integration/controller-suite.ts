// The setup the controller's integration suites share: a kubelet stand-in, loopback Nodes on it,
// deploy/'s RBAC applied, and a controller leading as its ServiceAccount — and, after the suite, all
// of it taken down again with the suite's own objects in between.
import { afterAll, beforeAll } from "@jest/globals";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { RunningController } from "../../src/controller/controller.js";
import { kubectlManifests, type Manifest } from "../support/control-plane/deploy-manifests.js";
import { loopbackNodes, startKubeletStandIn, startLeadingController, type LoopbackNodes } from "./controller-fixtures.js";

/** What a suite reads once set up (filled in beforeAll; read only inside tests and hooks). */
export interface ControllerSuite {
  kubelet: Awaited<ReturnType<typeof startKubeletStandIn>>;
  nodes: LoopbackNodes;
  controller: RunningController;
}

/** Where and how the suite's controller runs. */
export interface ControllerSuiteOptions {
  admin: KubeConfig;
  kubeconfigPath: string;
  namespace: string;
  /** deploy/ manifests applied before the controller starts and deleted after everything else. */
  manifests: Manifest[];
  /** The controller's config.yaml. */
  config: string;
  identity: string;
  logger: Logger;
  /** The suite's own objects to delete after the controller stopped and the Nodes went, before the manifests. */
  cleanup?: () => Promise<void>;
}

/**
 * Registers the suite's beforeAll (kubelet stand-in, Nodes, RBAC, a leading controller) and
 * afterAll (controller stopped, kubelet closed, Nodes deleted, `cleanup`, RBAC deleted); returns
 * the object they fill. Register it before the suite's own hooks, which then run after it.
 */
export function leadingControllerSuite(options: ControllerSuiteOptions): ControllerSuite {
  const suite = {} as ControllerSuite;
  const { admin, kubeconfigPath, namespace, manifests } = options;
  beforeAll(async () => {
    suite.kubelet = await startKubeletStandIn();
    suite.nodes = loopbackNodes(admin, suite.kubelet.port);
    kubectlManifests("apply", kubeconfigPath, manifests);
    suite.controller = await startLeadingController(admin, namespace, options.config, options.identity, options.logger);
  }, 90_000);
  afterAll(async () => {
    await suite.controller?.stop();
    await suite.kubelet?.close();
    await suite.nodes?.cleanup();
    await options.cleanup?.();
    kubectlManifests("delete", kubeconfigPath, manifests);
  });
  return suite;
}
