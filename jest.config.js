/**
 * Jest in native ESM mode (client-node and kfc are ESM-only; Jest's CJS runtime cannot load them on
 * Node 20). ts-jest only transpiles here: `npm run typecheck` is what type-checks the tests.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }],
  },
  testTimeout: 30000,
  // One real control plane (etcd + kube-apiserver + controller-manager + scheduler) per run.
  globalSetup: "<rootDir>/test/support/control-plane/global-setup.mjs",
  globalTeardown: "<rootDir>/test/support/control-plane/global-teardown.mjs",
};
