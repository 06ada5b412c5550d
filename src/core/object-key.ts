/**
 * The one "namespace/name" key. Konnectivity-agent log lines are stored and looked up by it: the
 * controller's log cache and observation builder, the live cluster reader, the snapshot parser and
 * `buildObservation` must all spell it the same way or a pod's log is never found.
 */

/**
 * "namespace/name" of an object's metadata. A missing name counts as ""; a missing namespace as
 * `defaultNamespace` (default ""), for callers that know where such an object lives.
 */
export function namespacedName(metadata: { namespace?: string; name?: string } | undefined, defaultNamespace = ""): string {
  return `${metadata?.namespace ?? defaultNamespace}/${metadata?.name ?? ""}`;
}
