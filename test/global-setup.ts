import { ensureBuilt } from '../scripts/ensure-built.mjs';

/**
 * The tests run what ships: the worker processes, the JPEG threads and the CLI are the built bundles (out/), and the
 * end-to-end tests load the built renderer. Rebuild them first when the sources changed (npm test has just built).
 */
export default function setup(): void {
  ensureBuilt();
}
