/**
 * The lint rule that keeps the agent's light stack light (eslint.config.js, docs/architecture.md §6)
 * must bite: the repository's own config, run through ESLint's Node API on snippets placed in each
 * light folder, rejects a Kubernetes client library and the client-node adapters and accepts the
 * imports the light stack really uses. test/unit/agent/import-graph.test.ts checks the same boundary
 * at run time.
 */
import { describe, expect, it } from "@jest/globals";
import { ESLint } from "eslint";

const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

const importing = (source: string): string => `import * as m from "${source}";\nexport const x = m;\n`;

describe("the light-stack import rule", () => {
  it.each([
    ["src/agent/x.ts", "@kubernetes/client-node"],
    ["src/agent/actions/x.ts", "kubernetes-fluent-client"],
    ["src/agent/x.ts", "../k8s/cluster-reader.js"],
    ["src/agent/actions/x.ts", "../../k8s/pod-log-reader.js"],
    ["src/dial/x.ts", "@kubernetes/client-node"],
    ["src/dial/x.ts", "../k8s/kubeconfig.js"],
    ["src/dial/x.ts", "../agent/agent.js"],
    ["src/dial/x.ts", "../controller/controller.js"],
    ["src/k8s/light/x.ts", "@kubernetes/client-node"],
    ["src/k8s/light/x.ts", "../request-options.js"],
  ])("%s may not import %s", async (filePath, source) => {
    expect(await restrictedImports(filePath, importing(source))).toHaveLength(1);
  }, 30_000);

  it("says why, naming the boundary", async () => {
    const [message] = await restrictedImports("src/agent/x.ts", importing("@kubernetes/client-node"));
    expect(message).toContain("light stack");
  }, 30_000);

  it.each([
    ["src/agent/x.ts", "../k8s/light/agent-api-client.js"],
    ["src/agent/x.ts", "../dial/classify.js"],
    ["src/agent/actions/x.ts", "../../k8s/light/agent-api-client.js"],
    ["src/agent/actions/x.ts", "../host-files.js"],
    ["src/k8s/light/x.ts", "./rest-client.js"],
    ["src/k8s/light/x.ts", "../../api/index.js"],
    ["src/dial/x.ts", "../core/index.js"],
    ["src/dial/x.ts", "./tcp-dial.js"],
    ["src/controller/x.ts", "@kubernetes/client-node"],
  ])("%s may import %s", async (filePath, source) => {
    expect(await restrictedImports(filePath, importing(source))).toEqual([]);
  }, 30_000);
});
