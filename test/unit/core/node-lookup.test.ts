// The indexed node lookups answer exactly what the linear scans they replaced answered.
import { describe, expect, it } from "@jest/globals";
import type { NodeView } from "../../../src/core/index.js";
import { nodeNamed, nodeWithHost } from "../../../src/core/node-lookup.js";

const view = (name: string, ...addresses: string[]): NodeView =>
  ({ name, addresses: addresses.map((address) => ({ type: "InternalIP", address })) }) as unknown as NodeView;

describe("node lookups", () => {
  const nodes = [view("cp-1", "10.0.0.1"), view("worker-1", "10.0.0.2", "192.168.1.41"), view("10.0.0.9", "10.0.0.9"), view("worker-2", "10.0.0.2")];

  it.each([
    ["by name", "worker-1", "worker-1"],
    ["an unknown name", "nope", undefined],
    ["a name that looks like an address", "10.0.0.9", "10.0.0.9"],
  ])("nodeNamed %s", (_case, name, expected) => {
    expect(nodeNamed(nodes, name)?.name).toBe(expected);
    expect(nodeNamed(nodes, name)).toBe(nodes.find((node) => node.name === name));
  });

  it.each([
    ["an address", "192.168.1.41", "worker-1"],
    ["a shared address goes to the first node in list order", "10.0.0.2", "worker-1"],
    ["a node name", "cp-1", "cp-1"],
    ["nothing", "10.9.9.9", undefined],
  ])("nodeWithHost %s", (_case, host, expected) => {
    const linear = nodes.find((node) => node.addresses.some((address) => address.address === host) || node.name === host);
    expect(nodeWithHost(nodes, host)?.name).toBe(expected);
    expect(nodeWithHost(nodes, host)).toBe(linear);
  });

  it("a new list is indexed anew, the old one keeps its answers", () => {
    const before = [view("a", "10.0.0.1")];
    expect(nodeNamed(before, "a")?.name).toBe("a");
    const after = [view("b", "10.0.0.1")];
    expect(nodeNamed(after, "a")).toBeUndefined();
    expect(nodeWithHost(after, "10.0.0.1")?.name).toBe("b");
    expect(nodeWithHost(before, "10.0.0.1")?.name).toBe("a");
  });
});
