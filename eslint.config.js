// ESLint flat config. The rule that matters most: src/core stays pure (docs/architecture.md §6) — no Kubernetes
// clients, no node: I/O, no adapters, no wall clock. Time and I/O enter the core only as data.
// The second: the agent's light stack (src/agent, src/k8s/light, src/dial) never loads a Kubernetes client
// library, whose import alone would more than double the memory of the agent on every node (§6).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const impureModules = [
  { group: ["@kubernetes/client-node", "kubernetes-fluent-client", "pino", "prom-client"], message: "src/core is pure: no Kubernetes clients, loggers or metrics." },
  { group: ["node:*", "fs", "fs/*", "child_process", "net", "http", "https", "dgram", "os", "dns", "tls"], message: "src/core is pure: no node: I/O modules." },
  { group: ["**/k8s/**", "**/controller/**", "**/agent/**", "**/probe/**", "**/dial/**", "**/cli/**"], message: "src/core may import only src/api and src/core." },
];

const LIGHT = "the agent's light stack (src/agent, src/k8s/light, src/dial) never loads a Kubernetes client library";
const heavyClients = {
  group: ["@kubernetes/client-node", "@kubernetes/client-node/*", "kubernetes-fluent-client", "kubernetes-fluent-client/*"],
  message: `${LIGHT}.`,
};
// A src/k8s module outside src/k8s/light, as written from src/agent or src/dial (…/k8s/x.js).
const heavyAdapters = { regex: "(^|/)k8s/(?!light/)", message: `${LIGHT}: import only src/k8s/light from src/k8s.` };
// The same, as written from src/k8s/light: a sibling of light/ is ../x.js.
const heavySiblings = { regex: "^\\.\\./[^/]+$", message: `${LIGHT}: src/k8s/light may not import the rest of src/k8s.` };
const processes = { regex: "(^|/)(agent|controller)/", message: "src/dial is shared by the agent and the probe: no src/agent or src/controller." };
const restrictImports = (...patterns) => ({ "no-restricted-imports": ["error", { patterns }] });

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "src/api/generated/**", ".scratch/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", Buffer: "readonly", AbortController: "readonly", AbortSignal: "readonly", fetch: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ["src/core/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: impureModules }],
      "no-restricted-properties": ["error",
        { object: "Date", property: "now", message: "src/core is pure: take the time from the Observation." },
        { object: "Math", property: "random", message: "src/core is pure and deterministic." },
        { object: "process", message: "src/core is pure: no process access." }],
      "no-restricted-syntax": ["error",
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "src/core is pure: take the time from the Observation." }],
      "no-restricted-globals": ["error", "process", "fetch", "setTimeout", "setInterval"],
    },
  },
  { files: ["src/agent/**/*.ts"], rules: restrictImports(heavyClients, heavyAdapters) },
  { files: ["src/k8s/light/**/*.ts"], rules: restrictImports(heavyClients, heavyAdapters, heavySiblings) },
  { files: ["src/dial/**/*.ts"], rules: restrictImports(heavyClients, heavyAdapters, processes) },
);
