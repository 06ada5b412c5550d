import { describe, expect, it } from "@jest/globals";
import type { NodeView } from "../../../src/core/index.js";
import { nodeNamed } from "../../../src/core/node-lookup.js";

const view = (name: string, address: string): NodeView =>
  ({ name, labels: {}, annotations: {}, addresses: [{ type: "InternalIP", address }], ready: "True" });

const controller = view("controller", "192.168.1.41");
const worker = view("worker", "192.168.1.42");
// Names are unique in a real cluster; without a map the list's first match answers.
const twin = view("worker", "10.0.0.9");
const nodes = [controller, worker, twin];
const nodesByName = new Map([["controller", controller], ["worker", twin]]);

describe("nodeNamed", () => {
  it.each<[string, string, NodeView | undefined, NodeView | undefined]>([
    ["a node by name", "controller", controller, controller],
    ["of two with one name: the list's first, or the map's", "worker", worker, twin],
    ["no node of that name", "gone", undefined, undefined],
    ["an address is not a name", "192.168.1.41", undefined, undefined],
    ["the empty name", "", undefined, undefined],
  ])("%s", (_case, name, fromList, fromMap) => {
    expect(nodeNamed({ nodes }, name)).toBe(fromList);
    expect(nodeNamed({ nodes, nodesByName }, name)).toBe(fromMap);
  });

  it("takes the map's answer, never falling back to the list", () => {
    expect(nodeNamed({ nodes, nodesByName: new Map() }, "controller")).toBeUndefined();
  });
});
