/**
 * The CLI, browser mode and the tests run the built bundles (out/), the same main and worker code the desktop app runs.
 * This rebuilds them (electron-vite build) when any source is newer than the last build, so what runs is never stale:
 * `npx ae-studio …` and `vitest` call it before anything else; `npm run build` and `npm test` build anyway.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** What every build writes; the oldest of them is when the last whole build ended. */
const outputs = ['out/main/cli.js', 'out/main/worker.js', 'out/preload/index.cjs', 'out/renderer/index.html'];
const sources = ['src-main', 'src-renderer', 'src-preload', 'electron.vite.config.ts'];

/** The newest modification time among the sources the build reads (native addon build folders excluded). */
function newestSource(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'build' || entry === 'node_modules') continue;
    newest = Math.max(newest, newestSource(join(path, entry)));
  }
  return newest;
}

export function isBuilt() {
  if (!outputs.every((output) => existsSync(join(root, output)))) return false;
  const built = Math.min(...outputs.map((output) => statSync(join(root, output)).mtimeMs));
  return sources.every((source) => !existsSync(join(root, source)) || newestSource(join(root, source)) <= built);
}

/** Builds the bundles if they are missing or older than the sources; exits the process if the build fails. */
export function ensureBuilt() {
  if (isBuilt()) return;
  process.stderr.write('Building Autoencoder Studio (the sources changed since the last build)…\n');
  const started = Date.now();
  const electronVite = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const built = spawnSync(process.execPath, [electronVite, 'build'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) {
    process.stderr.write(`${built.stdout}${built.stderr}\nThe build failed; fix the error above and try again.\n`);
    process.exit(1);
  }
  process.stderr.write(`Built in ${((Date.now() - started) / 1000).toFixed(0)} s.\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureBuilt();
