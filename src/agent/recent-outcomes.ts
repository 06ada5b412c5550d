/**
 * The outcomes, with their revert, of the actions an agent process executed, keyed
 * `orderId/action`. They are the handle to undo a fix (the action contract's "Reversible"); no API
 * field asks for a revert yet, so only the newest are kept: an agent runs for months and must not
 * hold every closure it ever made.
 */
import type { ActionOutcome } from "./actions/index.js";

/** Four orders of every action: the recent past a person (or a test) may want to undo. */
export const MAX_KEPT_OUTCOMES = 16;

/** A Map that forgets its oldest entries beyond `limit`; setting a key again makes it the newest. */
export class RecentOutcomes extends Map<string, ActionOutcome> {
  constructor(private readonly limit = MAX_KEPT_OUTCOMES) {
    super();
  }

  override set(key: string, outcome: ActionOutcome): this {
    this.delete(key);
    super.set(key, outcome);
    for (const oldest of this.keys()) {
      if (this.size <= this.limit) break;
      this.delete(oldest);
    }
    return this;
  }
}
