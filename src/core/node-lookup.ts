/**
 * Finding a Node in an Observation's node list by name or by address. The controller reconciles one
 * node at a time against the list of every node, so a linear search per lookup made a pass over
 * 5,000 nodes cost 5,000² comparisons (the two name searches alone were ~4 of the controller's
 * 35 CPU seconds converging 5,000 nodes). Each list gets its index on its first lookup; the index
 * lives as long as the list does.
 *
 * Contract: a node list is not mutated once looked up in (Observations are built, then read).
 * Results are those of a first-match linear search in list order.
 */
import type { NodeView } from "./observation.js";

interface NodeIndex {
  byName: ReadonlyMap<string, NodeView>;
  /** Each address and name → the first node in list order that has it. */
  byAddressOrName: ReadonlyMap<string, NodeView>;
}

const indexes = new WeakMap<readonly NodeView[], NodeIndex>();

function indexOf(nodes: readonly NodeView[]): NodeIndex {
  let index = indexes.get(nodes);
  if (index) return index;
  const byName = new Map<string, NodeView>();
  const byAddressOrName = new Map<string, NodeView>();
  const keep = (map: Map<string, NodeView>, key: string, node: NodeView) => {
    if (!map.has(key)) map.set(key, node);
  };
  for (const node of nodes) {
    keep(byName, node.name, node);
    for (const address of node.addresses) keep(byAddressOrName, address.address, node);
    keep(byAddressOrName, node.name, node);
  }
  index = { byName, byAddressOrName };
  indexes.set(nodes, index);
  return index;
}

/** The first node named `name`; undefined when there is none. */
export function nodeNamed(nodes: readonly NodeView[], name: string): NodeView | undefined {
  return indexOf(nodes).byName.get(name);
}

/** The first node having `host` as one of its addresses or as its name; undefined when there is none. */
export function nodeWithAddress(nodes: readonly NodeView[], host: string): NodeView | undefined {
  return indexOf(nodes).byAddressOrName.get(host);
}
