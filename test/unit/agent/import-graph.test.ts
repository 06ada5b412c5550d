// The agent runs on every node: nothing it imports may load @kubernetes/client-node (~80 MB RSS from
// its generated models) or kubernetes-fluent-client. Checked in a fresh process per entry,
// with the diagnose command as the control that proves the trace does see client-node when loaded.
import { describe, expect, it } from "@jest/globals";
import { loadedModules } from "../../support/module-trace/loaded-modules.js";

const HEAVY = ["/node_modules/@kubernetes/client-node/", "/node_modules/kubernetes-fluent-client/"];
const heavyIn = (modules: string[]): string[] => HEAVY.filter((pkg) => modules.some((m) => m.includes(pkg)));
const cli = (args: string[]) => `await (await import("./src/cli/main.ts")).main(${JSON.stringify(args)});`;

describe("the agent's import graph", () => {
  it.each([
    ["src/agent/main.ts", `await import("./src/agent/main.ts");`, "src/agent/main.ts", []],
    ["netmedic agent (kubeconfig path, until it fails to load)", cli(["agent", "--node-name", "n1", "--kubeconfig", "/nonexistent/kubeconfig"]), "src/k8s/light/kubeconfig-credentials.ts", []],
    ["netmedic probe (bad flag)", cli(["probe", "--no-such-flag"]), "src/probe/main.ts", []],
    ["control: netmedic diagnose (missing snapshot)", cli(["diagnose", "--snapshot", "/nonexistent.yaml"]), "src/cli/diagnose.ts", ["/node_modules/@kubernetes/client-node/"]],
  ])("%s", (_name, code, mustLoad, heavy) => {
    const modules = loadedModules(code);
    expect(modules.some((m) => m.endsWith(mustLoad))).toBe(true);
    expect(heavyIn(modules)).toEqual(heavy);
  }, 60_000);
});
