/**
 * The CLI's input errors beyond its flags (those are core/flags.ts' UsageError), in a module of
 * their own so that src/cli/main.ts can recognise them without loading the commands that throw
 * them (diagnose pulls in @kubernetes/client-node).
 */

/** A snapshot that cannot be used; the message is the one line shown to the user. */
export class SnapshotError extends Error {}
