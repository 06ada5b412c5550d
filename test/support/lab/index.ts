// The node lab (test layer 3): public API. See lab.ts for startLab and the Lab interface.
export { startLab, type Lab, type LabHost, type LabOptions } from "./lab.js";
export type { LabAddresses } from "./topology.js";
export type { TcpResult } from "./tcp.js";
export type { FakeUnit, SystemctlCall } from "./systemctl.js";
export type { K3sHostRootOptions, K3sHostRootPaths } from "./k3s.js";
export type { ScratchLayout } from "./mounts.js";
export { COVERED, OVERLAID } from "./mounts.js";
export { K3S_PATHS, RKE2_PATHS, writeRke2Files } from "./k3s.js";
export { pidsInNamespaces } from "./holder.js";
export { missingPrerequisites, PREREQ_MESSAGE } from "./prereqs.js";
export { run, nsenterArgv, type RunResult, type RunOptions } from "./run.js";
