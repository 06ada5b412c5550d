import { describe, expect, it } from "@jest/globals";
import type { NodeView } from "../../../src/core/index.js";
import { nodeNamed, nodeWithAddress } from "../../../src/core/node-lookup.js";

const view = (name: string, ...addresses: string[]): NodeView =>
  ({ name, labels: {}, annotations: {}, addresses: addresses.map((address) => ({ type: "InternalIP", address })), ready: "True" });

const controller = view("controller", "192.168.1.41");
const etcd = view("etcd-1", "192.168.1.50", "etcd-1.lan");
const worker = view("worker", "192.168.1.42");
// Names are unique in a real cluster and addresses nearly so; the lookups still answer as a
// first-match search in list order would.
const twinName = view("worker", "10.0.0.9");
const sharesAddress = view("other", "192.168.1.42");
const namedLikeAddress = view("192.168.1.50");
const cluster = [controller, etcd, worker, twinName, sharesAddress, namedLikeAddress];

const linearByName = (nodes: readonly NodeView[], name: string) => nodes.find((node) => node.name === name);
const linearByAddress = (nodes: readonly NodeView[], host: string) =>
  nodes.find((node) => node.addresses.some((address) => address.address === host) || node.name === host);

describe("nodeNamed", () => {
  it.each<[string, string, NodeView | undefined]>([
    ["a node by name", "controller", controller],
    ["the first of two with one name", "worker", worker],
    ["no node of that name", "gone", undefined],
    ["an address is not a name", "192.168.1.41", undefined],
    ["the empty name", "", undefined],
  ])("%s", (_case, name, expected) => {
    expect(nodeNamed({ nodes: cluster }, name)).toBe(expected);
    expect(nodeNamed({ nodes: cluster }, name)).toBe(linearByName(cluster, name));
  });

  it("answers from the Observation's own map when it has one", () => {
    const byName = new Map([["worker", twinName]]);
    expect(nodeNamed({ nodes: cluster, nodesByName: byName }, "worker")).toBe(twinName);
    expect(nodeNamed({ nodes: cluster, nodesByName: byName }, "controller")).toBeUndefined();
  });
});

describe("nodeWithAddress", () => {
  it.each<[string, string, NodeView | undefined]>([
    ["a node by its address", "192.168.1.41", controller],
    ["a node by its second address", "etcd-1.lan", etcd],
    ["a node by its name", "etcd-1", etcd],
    ["an address before a later node's name", "192.168.1.50", etcd],
    ["the first of two nodes with one address", "192.168.1.42", worker],
    ["no such address", "192.168.1.99", undefined],
  ])("%s", (_case, host, expected) => {
    expect(nodeWithAddress(cluster, host)).toBe(expected);
    expect(nodeWithAddress(cluster, host)).toBe(linearByAddress(cluster, host));
  });

  it("answers for each list from that list: a new list is a new index", () => {
    const moved = [view("etcd-1", "192.168.1.77"), controller];
    expect(nodeWithAddress(cluster, "192.168.1.50")).toBe(etcd);
    expect(nodeWithAddress(moved, "192.168.1.50")).toBeUndefined();
    expect(nodeWithAddress(moved, "192.168.1.77")?.name).toBe("etcd-1");
    expect(nodeNamed({ nodes: [] }, "controller")).toBeUndefined();
  });

  it("agrees with a linear search for every name and address of a generated cluster", () => {
    const nodes = Array.from({ length: 300 }, (_, i) => view(`node-${i % 250}`, `10.0.${i % 7}.${i % 200}`, `node-${(i * 7) % 300}`));
    for (let i = 0; i < 320; i += 1) {
      for (const key of [`node-${i}`, `10.0.${i % 7}.${i % 200}`]) {
        expect(nodeNamed({ nodes }, key)).toBe(linearByName(nodes, key));
        expect(nodeWithAddress(nodes, key)).toBe(linearByAddress(nodes, key));
      }
    }
  });
});
