// A HostExecutor stand-in for the checkpoint tests: records every argv, answers 0 unless `fail`
// says otherwise. The undo steps' host commands are what these tests check, not their effect.
import type { HostCommandResult, HostExecutor } from "../../../../src/agent/host-executor.js";

/** A recording host; `fail(argv)` returns a result to answer instead of success. */
export class RecordingHost {
  readonly calls: string[] = [];
  fail: (argv: readonly string[]) => HostCommandResult | undefined = () => undefined;

  /** The fake as the undo steps' host executor. */
  get host(): HostExecutor {
    return {
      run: async (argv: readonly string[]) => {
        this.calls.push(argv.join(" "));
        return this.fail(argv) ?? { code: 0, stdout: "", stderr: "", timedOut: false };
      },
    } as unknown as HostExecutor;
  }
}
