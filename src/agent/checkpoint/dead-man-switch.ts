/**
 * The agent's side of the dead-man switch across processes: at the first round, before any API
 * call, a checkpoint left by a previous agent process is rolled back (a node cut off by the change
 * must heal itself before the agent can report anything); the rollbacks wait until the agent has
 * read its NetworkHealth and are then reported; an unusable checkpoint is reported with the facts
 * for the life of the process.
 */
import type { Logger } from "pino";
import type { HostExecutor } from "../host-executor.js";
import { CheckpointStore } from "./checkpoint-store.js";
import { recoverCheckpoint, type RolledBack } from "./order-checkpoint.js";

/** The dead-man switch's settings as the agent runs them: the checkpoint's store and the confirmation deadline. */
export interface DeadManSettings {
  store: CheckpointStore;
  confirmTimeoutMs: number;
}

/** Recovery state of one agent process. */
export class DeadManSwitch {
  /** The settings, or undefined when the agent runs without a state directory. */
  readonly settings: DeadManSettings | undefined;
  private recovered: RolledBack[] | undefined;
  /** Why the checkpoint found at start could not be used, if it could not. */
  error: string | undefined;

  constructor(config: { stateDir: string; confirmTimeoutMs: number } | undefined, private readonly host: HostExecutor, private readonly logger: Logger) {
    this.settings = config ? { store: new CheckpointStore(config.stateDir), confirmTimeoutMs: config.confirmTimeoutMs } : undefined;
  }

  /** Resolves the previous process's checkpoint; only the first call does anything. Never throws. */
  async recoverOnce(now: Date): Promise<void> {
    if (this.recovered !== undefined) return;
    if (!this.settings) return void (this.recovered = []);
    const { rolledBack, error } = await recoverCheckpoint(this.settings.store, this.host, now);
    this.recovered = rolledBack;
    this.error = error;
    if (error) this.logger.error({ error }, "order checkpoint unusable");
    if (rolledBack.length) this.logger.warn({ orderId: rolledBack[0]?.orderId, actions: rolledBack.map((r) => r.action) }, "rolled back the checkpoint a previous agent left");
  }

  /** The recovered rollbacks not reported yet (each is handed out once). */
  takeRecovered(): RolledBack[] {
    const rolled = this.recovered ?? [];
    if (this.recovered !== undefined) this.recovered = [];
    return rolled;
  }
}
