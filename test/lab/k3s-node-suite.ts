// The setup the single-tool k3s node stories share: a k3s agent node lab with one tool's /etc
// directory in the scratch layer, an agent on it, and the machine's state recorded before anything
// runs, so the story's last test can show the machine untouched.
import { afterAll, beforeAll } from "@jest/globals";
import type { Logger } from "pino";
import type { Agent } from "../../src/agent/agent.js";
import type { Lab } from "../support/lab/index.js";
import { machineState, startLabAgent, type MemoryNetworkHealthStore } from "./agent-support.js";
import { startK3sNodeLab } from "./ufw-node.js";

/** What a story reads once its suite is set up (set in beforeAll; read only inside tests and hooks). */
export interface K3sNodeSuite {
  lab: Lab;
  agent: Agent;
  store: MemoryNetworkHealthStore;
  /** The machine's state before the lab started (agent-support.ts machineState). */
  before: Record<string, unknown>;
}

/**
 * Registers the suite's beforeAll (machine state, the lab with `etcDir` made, the agent) and
 * afterAll (the lab stopped, whatever failed); returns the object they fill. Register it before
 * the story's own hooks, which then run after it.
 */
export function k3sNodeSuite(etcDir: string, logger: Logger): K3sNodeSuite {
  const suite = {} as K3sNodeSuite;
  beforeAll(async () => {
    suite.before = await machineState();
    suite.lab = await startK3sNodeLab(etcDir);
    const { agent, store } = await startLabAgent(suite.lab, logger);
    Object.assign(suite, { agent, store });
  }, 120_000);
  afterAll(async () => {
    await suite.lab?.stop();
  }, 60_000);
  return suite;
}
