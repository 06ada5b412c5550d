/**
 * Node lookups over an Observation's node list, indexed once per list. The controller hands every
 * reconcile the same list until the Node cache changes, so a linear `find` per lookup made each
 * reconcile O(nodes) (two or three scans of 5,000 views per reconcile in the scale bench); the
 * index costs one pass per list and then O(1). Results are those of the linear scans: the first
 * node in list order wins. A list must not be mutated once looked up in (Observations are built
 * anew, never edited).
 */
import type { NodeView } from "./observation.js";

interface NodeIndex {
  byName: Map<string, NodeView>;
  /** Every address and every name, each to the first node in list order that has it. */
  byHost: Map<string, NodeView>;
}

const indexes = new WeakMap<readonly NodeView[], NodeIndex>();

function indexOf(nodes: readonly NodeView[]): NodeIndex {
  let index = indexes.get(nodes);
  if (index) return index;
  index = { byName: new Map(), byHost: new Map() };
  for (const node of nodes) {
    if (!index.byName.has(node.name)) index.byName.set(node.name, node);
    for (const host of [...node.addresses.map((address) => address.address), node.name]) {
      if (!index.byHost.has(host)) index.byHost.set(host, node);
    }
  }
  indexes.set(nodes, index);
  return index;
}

/** The node called `name`, as `nodes.find((n) => n.name === name)` would return it. */
export function nodeNamed(nodes: readonly NodeView[], name: string): NodeView | undefined {
  return indexOf(nodes).byName.get(name);
}

/** The first node with an address equal to `host`, or named `host`. */
export function nodeWithHost(nodes: readonly NodeView[], host: string): NodeView | undefined {
  return indexOf(nodes).byHost.get(host);
}
