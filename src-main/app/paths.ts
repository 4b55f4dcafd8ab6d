import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const appName = 'Autoencoder Studio';
export const dataDirEnv = 'AE_STUDIO_DATA_DIR';

/**
 * The data folder: an explicit choice (--data-dir), else $AE_STUDIO_DATA_DIR, else the OS's per-user app-data
 * folder — the same one Electron's app.getPath('userData') returns, so desktop, browser mode and CLI share a store.
 */
export function resolveDataDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  const fromEnv = process.env[dataDirEnv];
  if (fromEnv) return resolve(fromEnv);
  const home = homedir();
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), appName);
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', appName);
  return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), appName);
}

/** Where everything lives inside a data folder. */
export function dataLayout(dataDir: string) {
  return {
    database: join(dataDir, 'studio.db'),
    datasetDir: (id: number) => join(dataDir, 'datasets', String(id)),
    runDir: (id: number) => join(dataDir, 'runs', String(id)),
  };
}

/**
 * The app's bundled resources folder. Source files (src-main/<area>/x.ts) and bundles (out/main/x.js) both sit two
 * levels below the project root; a packaged Electron app sets AE_STUDIO_RESOURCES to its resources path.
 */
export function resourcesDir(): string {
  if (process.env.AE_STUDIO_RESOURCES) return process.env.AE_STUDIO_RESOURCES;
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', '..', 'resources'), join(here, '..', 'resources')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`Cannot find the app's resources folder near ${here}`);
}
