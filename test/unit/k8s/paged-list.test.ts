import { describe, expect, it } from "@jest/globals";
import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import { listAllPages, type ListPage } from "../../../src/k8s/paged-list.js";

const object = (name: string): KubernetesObject => ({ metadata: { name } });

/** A lister over `pages`, recording each request's page. */
function lister(pages: Array<{ names: string[]; next?: string }>) {
  const asked: ListPage[] = [];
  const list = async (_signal: AbortSignal, page: ListPage): Promise<KubernetesListObject<KubernetesObject>> => {
    const index = asked.push(page) - 1;
    const current = pages[index];
    if (!current) throw new Error(`page ${index} was not expected`);
    return { apiVersion: "v1", kind: "List", metadata: { resourceVersion: `rv-${index}`, _continue: current.next }, items: current.names.map(object) };
  };
  return { list, asked };
}

describe("listAllPages", () => {
  it.each([
    ["one page", [{ names: ["a", "b"] }], ["a", "b"], [{ limit: 2 }]],
    ["three pages follow the continue tokens", [{ names: ["a", "b"], next: "t1" }, { names: ["c", "d"], next: "t2" }, { names: ["e"] }], ["a", "b", "c", "d", "e"],
      [{ limit: 2 }, { limit: 2, _continue: "t1" }, { limit: 2, _continue: "t2" }]],
    ["an empty collection", [{ names: [] }], [], [{ limit: 2 }]],
  ])("%s", async (_case, pages, names, requests) => {
    const { list, asked } = lister(pages);
    const result = await listAllPages(list, new AbortController().signal, 2);
    expect(result.items.map((item) => item.metadata?.name)).toEqual(names);
    expect(asked).toEqual(requests);
    // The snapshot is the first page's; no continue token is left for the caller to follow.
    expect(result.metadata).toEqual({ resourceVersion: "rv-0", _continue: undefined });
  });

  it("transforms each object as its page arrives", async () => {
    const { list } = lister([{ names: ["a"], next: "t" }, { names: ["b"] }]);
    const result = await listAllPages(list, new AbortController().signal, 1, (item) => ({ ...item, metadata: { name: `${item.metadata?.name}!` } }));
    expect(result.items.map((item) => item.metadata?.name)).toEqual(["a!", "b!"]);
  });

  it("passes a failed page's error on", async () => {
    const { list } = lister([{ names: ["a"], next: "t" }]);
    await expect(listAllPages(list, new AbortController().signal, 1)).rejects.toThrow("page 1 was not expected");
  });
});
