/**
 * The CLI's user-input errors, in a module of their own so that src/cli/main.ts can recognise them
 * without loading the commands that throw them (diagnose pulls in @kubernetes/client-node).
 */

/** A usage problem; the message is the one line shown. */
export class UsageError extends Error {}

/** A snapshot that cannot be used; the message is the one line shown to the user. */
export class SnapshotError extends Error {}
