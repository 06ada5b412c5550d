/**
 * Finding a Node in an Observation by name or by address. The controller reconciles one node at a
 * time against every node, so a linear search per lookup made a pass over 5,000 nodes cost 5,000²
 * comparisons (two name searches per reconcile: ~4 of the controller's 35 CPU seconds converging
 * 5,000 nodes). By name, core uses the Observation's `nodesByName` when its builder keeps one (the
 * controller does, change by change); otherwise, and for addresses, a node list gets its index on
 * its first lookup, which lives as long as the list does. Building that index costs more than one
 * linear search, so a builder whose list changes about as often as it reconciles passes the map.
 *
 * Contract: a node list is not mutated once looked up in (Observations are built, then read).
 * Results are those of a first-match linear search in list order.
 */
import type { NodeView, Observation } from "./observation.js";

type NodeIndex = ReadonlyMap<string, NodeView>;

const byNameIndexes = new WeakMap<readonly NodeView[], NodeIndex>();
const byAddressIndexes = new WeakMap<readonly NodeView[], NodeIndex>();

/** Each key of each node → the first node in list order having it. */
function indexed(nodes: readonly NodeView[], cache: WeakMap<readonly NodeView[], NodeIndex>, keys: (node: NodeView) => string[]): NodeIndex {
  const cached = cache.get(nodes);
  if (cached) return cached;
  const index = new Map<string, NodeView>();
  for (const node of nodes) {
    for (const key of keys(node)) if (!index.has(key)) index.set(key, node);
  }
  cache.set(nodes, index);
  return index;
}

/** The (first) node named `name`; undefined when there is none. */
export function nodeNamed(observation: Pick<Observation, "nodes" | "nodesByName">, name: string): NodeView | undefined {
  return (observation.nodesByName ?? indexed(observation.nodes, byNameIndexes, (node) => [node.name])).get(name);
}

/** The first node having `host` as one of its addresses or as its name; undefined when there is none. */
export function nodeWithAddress(nodes: readonly NodeView[], host: string): NodeView | undefined {
  return indexed(nodes, byAddressIndexes, (node) => [...node.addresses.map((address) => address.address), node.name]).get(host);
}
