/**
 * The core's views of every cached Node, kept up to date change by change. At 5,000 nodes the Node
 * cache moves many times a second (kube-controller-manager's PATCHes, kubelets' status updates) and
 * re-deriving the list from the cache on each move cost ~2 ms, ~4 of the controller's 35 CPU
 * seconds converging 5,000 nodes. A change now costs one view and a copy of the list's pointers;
 * the map by name is handed to core as well, so core finds a node without searching the list.
 *
 * The cache's version moves by one per change notification, so a missed notification shows as a
 * version out of step; the views are then re-derived from the cache's list once.
 */
import { nodeView, type KubeNode, type NodeView } from "../../core/index.js";
import type { ChangeType } from "../../k8s/supervised-informer.js";

/** A cache's objects and the version they belong to (SupervisedInformer.version). */
export interface VersionedList {
  version: number;
  list: () => readonly object[];
}

/** Node views by name, following one Node cache. */
export class NodeViews {
  private readonly byName = new Map<string, NodeView>();
  /** Views of objects seen in a re-derivation: an unchanged Node keeps its view across one. */
  private readonly byObject = new WeakMap<object, NodeView>();
  /** The cache version the views reflect. */
  private version = 0;
  private handedOut: NodeView[] | undefined;

  /**
   * Applies the cache change that moved the cache to `version` (ignored, re-derived later, when out
   * of step). Returns whether the change can move a verdict: false only for an update that left the
   * node's view as it was — a kubelet's periodic status update moves nothing but heartbeat times,
   * once per node every 5 minutes, and core reads a Node only through its view.
   */
  changed(change: ChangeType, object: KubeNode, version: number): boolean {
    if (version !== this.version + 1) return true;
    this.version = version;
    const name = object.metadata?.name ?? "";
    if (name === "") return true;
    const before = this.byName.get(name);
    if (change === "delete") this.byName.delete(name);
    else this.byName.set(name, this.viewOf(object));
    this.handedOut = undefined;
    return change !== "update" || !before || JSON.stringify(before) !== JSON.stringify(this.byName.get(name));
  }

  /**
   * Every node's view at the cache's current version (named nodes only), as a list and by name.
   * The list is never changed once handed out; the map is this object's own and moves with the
   * next change, so it is read in the same synchronous stretch (core's Observation contract).
   */
  current(nodes: VersionedList): { list: NodeView[]; byName: ReadonlyMap<string, NodeView> } {
    if (nodes.version !== this.version) this.rederive(nodes);
    this.handedOut ??= [...this.byName.values()];
    return { list: this.handedOut, byName: this.byName };
  }

  private rederive(nodes: VersionedList): void {
    this.byName.clear();
    for (const object of nodes.list()) {
      const view = this.viewOf(object as KubeNode);
      if (view.name !== "") this.byName.set(view.name, view);
    }
    this.version = nodes.version;
    this.handedOut = undefined;
  }

  private viewOf(object: KubeNode): NodeView {
    let view = this.byObject.get(object);
    if (!view) {
      view = nodeView(object);
      this.byObject.set(object, view);
    }
    return view;
  }
}
