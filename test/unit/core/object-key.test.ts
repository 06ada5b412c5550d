import { describe, expect, it } from "@jest/globals";
import { namespacedName } from "../../../src/core/object-key.js";

describe("namespacedName", () => {
  it.each<[string, { namespace?: string; name?: string } | undefined, string | undefined, string]>([
    ["namespace and name", { namespace: "kube-system", name: "konnectivity-agent-1" }, undefined, "kube-system/konnectivity-agent-1"],
    ["no namespace", { name: "a" }, undefined, "/a"],
    ["no name", { namespace: "ns" }, undefined, "ns/"],
    ["no metadata", undefined, undefined, "/"],
    ["no namespace, with a default", { name: "a" }, "kube-system", "kube-system/a"],
    ["namespace given, default ignored", { namespace: "ns", name: "a" }, "kube-system", "ns/a"],
    ["empty namespace is kept, not defaulted", { namespace: "", name: "a" }, "kube-system", "/a"],
    ["no metadata, with a default", undefined, "kube-system", "kube-system/"],
  ])("%s", (_name, metadata, defaultNamespace, expected) => {
    expect(namespacedName(metadata, defaultNamespace)).toBe(expected);
  });
});
