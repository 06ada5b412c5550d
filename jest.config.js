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
  // Files run one at a time: they share ONE control plane whose controllers under test (and the
  // netmedic controllers the files start) are cluster-scoped, so a file's controller would act on
  // another file's Nodes, and the timing-sensitive tests (zero writes, leader election) would see
  // their traffic. (On 2 cores this is also Jest's default.)
  maxWorkers: 1,
  // One real control plane (etcd + kube-apiserver + controller-manager + scheduler) per run; its
  // teardown prints the run's total control-plane start-up (shared plane + any apiserver replica).
  globalSetup: "<rootDir>/test/support/control-plane/global-setup.mjs",
  globalTeardown: "<rootDir>/test/support/control-plane/global-teardown.mjs",
};
