/**
 * Finding a Node in an Observation by name. The controller reconciles one node at a time against
 * every node, and two linear searches per reconcile made a pass over 5,000 nodes cost 5,000²
 * comparisons (their CPU share is in bench/RESULTS.md). The controller's
 * builder keeps the nodes by name anyway (it follows the Node cache change by change) and hands
 * that map over in `nodesByName`. An index built here per node list would not help: at scale the
 * list changes about as often as a node is reconciled, so building one costs more than the
 * searches it saves. Without a map (the CLI's one-shot diagnose, tests) the list is searched.
 */
import type { NodeView, Observation } from "./observation.js";

/** The node named `name` (the first in list order without a map); undefined when there is none. */
export function nodeNamed(observation: Pick<Observation, "nodes" | "nodesByName">, name: string): NodeView | undefined {
  return observation.nodesByName ? observation.nodesByName.get(name) : observation.nodes.find((node) => node.name === name);
}
