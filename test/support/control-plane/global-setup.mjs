// Jest imports globalSetup with Node's own ESM loader, which cannot follow TypeScript imports;
// tsx's tsImport loads the TypeScript implementation (and its imports) instead.
import { tsImport } from "tsx/esm/api";

export default async function globalSetup() {
  const { setupSharedControlPlane } = await tsImport("./shared-control-plane.ts", import.meta.url);
  await setupSharedControlPlane();
}
