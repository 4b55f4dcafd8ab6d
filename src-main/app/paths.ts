import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { UserError } from '../api/errors';

export const appName = 'Autoencoder Studio';
export const dataDirEnv = 'AE_STUDIO_DATA_DIR';

/**
 * The data folder: an explicit choice (--data-dir), else $AE_STUDIO_DATA_DIR, else the OS's per-user app-data
 * folder — the same one Electron's app.getPath('userData') returns, so desktop, browser mode and CLI share a store.
 */
export function resolveDataDir(explicit?: string): string {
  // An empty --data-dir (a script's unset variable, say) must not quietly open the default folder instead.
  if (explicit !== undefined) {
    if (explicit.trim() === '')
      throw new UserError('invalid_argument', '--data-dir needs a folder; it was given none.');
    return resolve(explicit);
  }
  const fromEnv = process.env[dataDirEnv];
  if (fromEnv !== undefined && fromEnv.trim() === '') {
    throw new UserError('invalid_argument', `${dataDirEnv} is set but names no folder; unset it or name one.`);
  }
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
 * The project (or packaged app) root: the nearest folder above this file with a package.json. Source files
 * (src-main/<area>/x.ts) and bundles (out/main/x.js) both sit two levels below it.
 */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`Cannot find the app's root folder above ${fileURLToPath(import.meta.url)}`);
}

/** A native addon built by scripts/build-native.mjs: the engine's kernels or the datasets' JPEG decoder. */
const nativeAddonPath = (addon: 'engine/native/ae_kernels' | 'datasets/native/ae_images'): string => {
  const [area, folder, file] = addon.split('/');
  return join(appRoot(), 'src-main', area, folder, 'build', 'Release', `${file}.node`);
};

/**
 * Loads a native addon, or throws an Error that says in words why it is unavailable: `notBuilt` when it was never
 * built, else "<name> failed to load: <the loader's first line>".
 */
export function requireNativeAddon<T>(addon: Parameters<typeof nativeAddonPath>[0], name: string, notBuilt: string): T {
  const path = nativeAddonPath(addon);
  if (!existsSync(path)) throw new Error(notBuilt);
  try {
    return createRequire(import.meta.url)(path) as T;
  } catch (err) {
    throw new Error(`${name} failed to load: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
}

/** Bundled resources (the sample dataset); a packaged app points AE_STUDIO_RESOURCES at its resources path. */
export function resourcesDir(): string {
  return process.env.AE_STUDIO_RESOURCES ?? join(appRoot(), 'resources');
}

/**
 * A bundle `electron-vite build` writes to out/main: the worker process's entry, the JPEG decoding threads' or the
 * command line's. The CLI, browser mode and the tests run these, the code the desktop app runs, not the sources.
 */
export function builtEntry(name: 'worker' | 'jpeg-worker' | 'cli'): string {
  return join(appRoot(), 'out', 'main', `${name}.js`);
}

/** The built renderer that browser mode serves (`electron-vite build` writes it). */
export function rendererBuildDir(): string {
  return join(appRoot(), 'out', 'renderer');
}
