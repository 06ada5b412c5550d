// See global-setup.mjs for why this is plain JavaScript.
import { tsImport } from "tsx/esm/api";

export default async function globalTeardown() {
  const { teardownSharedControlPlane } = await tsImport("./shared-control-plane.ts", import.meta.url);
  await teardownSharedControlPlane();
}
