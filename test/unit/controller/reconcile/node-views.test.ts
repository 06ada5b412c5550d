import { describe, expect, it } from "@jest/globals";
import { NodeViews } from "../../../../src/controller/reconcile/node-views.js";
import { nodeView, type KubeNode } from "../../../../src/core/index.js";
import { node } from "../../../fixtures/cluster.js";

/** A Node cache stand-in: its version moves by one per change, as SupervisedInformer's does. */
class NodeCache {
  readonly objects = new Map<string, KubeNode>();
  version = 0;
  lists = 0;
  constructor(private readonly views?: NodeViews) {}

  put(object: KubeNode, notify = true): void {
    const name = object.metadata?.name ?? "";
    const change = this.objects.has(name) ? "update" : "add";
    this.objects.set(name, object);
    this.moved(change, object, notify);
  }

  remove(name: string, notify = true): void {
    const object = this.objects.get(name) as KubeNode;
    this.objects.delete(name);
    this.moved("delete", object, notify);
  }

  source() {
    return { version: this.version, list: () => (this.lists += 1, [...this.objects.values()]) };
  }

  /** What the views said of the last change: could it move a verdict? */
  lastVerdictInput: boolean | undefined;

  private moved(change: "add" | "update" | "delete", object: KubeNode, notify: boolean): void {
    this.version += 1;
    if (notify) this.lastVerdictInput = this.views?.changed(change, object, this.version);
  }
}

const byName = (views: readonly { name: string }[]) => [...views].sort((a, b) => a.name.localeCompare(b.name));
const expected = (cache: NodeCache) => byName([...cache.objects.values()].map(nodeView).filter((view) => view.name !== ""));

describe("NodeViews", () => {
  it("follows adds, updates and deletes without reading the cache's list", () => {
    const views = new NodeViews();
    const cache = new NodeCache(views);
    cache.put(node("controller", "192.168.1.41"));
    cache.put(node("worker-1", "192.168.1.42"));
    cache.put(node("worker-2", "192.168.1.43"));
    expect(byName(views.current(cache.source()).list)).toEqual(expected(cache));
    cache.put(node("worker-1", "192.168.1.42", { ready: "False" }));
    cache.remove("worker-2");
    expect(byName(views.current(cache.source()).list)).toEqual(expected(cache));
    expect(views.current(cache.source()).list.find((view) => view.name === "worker-1")?.ready).toBe("False");
    const { list, byName: map } = views.current(cache.source());
    expect(new Map(list.map((view) => [view.name, view]))).toEqual(map);
    expect(cache.lists).toBe(0);
  });

  it("re-derives from the list once when a change went by unseen, then follows changes again", () => {
    const views = new NodeViews();
    const cache = new NodeCache(views);
    cache.put(node("controller", "192.168.1.41"));
    cache.put(node("worker-1", "192.168.1.42"), false);
    cache.put(node("worker-2", "192.168.1.43"));
    expect(byName(views.current(cache.source()).list)).toEqual(expected(cache));
    expect(cache.lists).toBe(1);
    cache.remove("controller");
    expect(byName(views.current(cache.source()).list)).toEqual(expected(cache));
    expect(cache.lists).toBe(1);
  });

  it("derives from the list when it has seen no change at all (a cache filled before it followed)", () => {
    const filled = new NodeCache();
    filled.put(node("controller", "192.168.1.41"));
    filled.put({ metadata: {} });
    const views = new NodeViews();
    expect(byName(views.current(filled.source()).list)).toEqual(expected(filled));
    expect(views.current(filled.source()).list).toHaveLength(1);
  });

  it("never changes a list it handed out, and hands out the same list until the cache moves", () => {
    const views = new NodeViews();
    const cache = new NodeCache(views);
    cache.put(node("controller", "192.168.1.41"));
    const first = views.current(cache.source()).list;
    expect(views.current(cache.source()).list).toBe(first);
    cache.put(node("worker-1", "192.168.1.42"));
    const second = views.current(cache.source()).list;
    expect(first.map((view) => view.name)).toEqual(["controller"]);
    expect(second.map((view) => view.name).sort()).toEqual(["controller", "worker-1"]);
    expect(second.find((view) => view.name === "controller")).toBe(first[0]);
  });

  it("keeps the view of an unchanged Node object across a re-derivation", () => {
    const views = new NodeViews();
    const cache = new NodeCache(views);
    cache.put(node("controller", "192.168.1.41"));
    const before = views.current(cache.source()).list[0];
    cache.put(node("worker-1", "192.168.1.42"), false);
    expect(views.current(cache.source()).list.find((view) => view.name === "controller")).toBe(before);
  });

  /** A kubelet's periodic status update: only the heartbeat time (and resourceVersion) move. */
  const heartbeat = (object: KubeNode, at: string): KubeNode => ({
    ...object, metadata: { ...object.metadata, resourceVersion: at },
    status: { ...object.status, conditions: object.status?.conditions?.map((c) => ({ ...c, lastHeartbeatTime: at })) },
  } as KubeNode);

  it.each([
    ["a kubelet's heartbeat (lastHeartbeatTime, resourceVersion)", (n: KubeNode) => heartbeat(n, "2025-05-05T16:55:00Z"), false],
    ["Ready turning False", () => node("worker-1", "192.168.1.42", { ready: "False" }), true],
    ["a new InternalIP", () => node("worker-1", "192.168.1.52"), true],
    ["an annotation (remediation disabled)", () => node("worker-1", "192.168.1.42", { annotations: { "netmedic.io/remediation": "disabled" } }), true],
    ["a label", () => node("worker-1", "192.168.1.42", { labels: { "node-role.kubernetes.io/worker": "" } }), true],
  ])("an update of %s can move a verdict: %s", (_case, update, verdictInput) => {
    const views = new NodeViews();
    const cache = new NodeCache(views);
    const before = node("worker-1", "192.168.1.42");
    cache.put(before);
    expect(cache.lastVerdictInput).toBe(true);
    cache.put(update(before));
    expect(cache.lastVerdictInput).toBe(verdictInput);
    expect(byName(views.current(cache.source()).list)).toEqual(expected(cache));
  });

  it("adds, deletes and changes it may have missed (out of step) always count", () => {
    const views = new NodeViews();
    const cache = new NodeCache(views);
    cache.put(node("worker-1", "192.168.1.42"));
    cache.put(node("worker-2", "192.168.1.43"), false);
    cache.put(heartbeat(node("worker-1", "192.168.1.42"), "2025-05-05T16:55:00Z"));
    expect(cache.lastVerdictInput).toBe(true);
    cache.remove("worker-1");
    expect(cache.lastVerdictInput).toBe(true);
  });
});
