/**
 * Builds the two native addons with node-gyp. Runs after `npm ci`/`npm install`; also `npm run build:native`:
 *  - src-main/engine/native: the CPU training kernels (needs OpenBLAS); without them training uses WebAssembly;
 *  - src-main/datasets/native: the JPEG decoder for imports (needs libjpeg-turbo); without it imports use mozjpeg
 *    compiled to WebAssembly, about half as fast.
 * Both are optional: without a C compiler or a library the build says what is missing and what the app does instead,
 * so an install never fails because of them (unless --strict is given, as CI does).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledLibraries } from './native-libs.mjs';

const strict = process.argv.includes('--strict');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const addons = [
  {
    name: 'Native CPU kernels',
    dir: join(root, 'src-main', 'engine', 'native'),
    built: 'ae_kernels.node',
    library: { pattern: /cblas\.h|-lopenblas|openblas/i, name: 'OpenBLAS', id: 'openblas' },
    instead: 'Training will use the slower WebAssembly engine.',
    install:
      'a C compiler and OpenBLAS (Debian/Ubuntu: sudo apt install build-essential libopenblas-dev; macOS: brew install openblas)',
  },
  {
    name: 'Native JPEG decoder',
    dir: join(root, 'src-main', 'datasets', 'native'),
    built: 'ae_images.node',
    library: { pattern: /jpeglib\.h|-ljpeg|libjpeg/i, name: 'libjpeg-turbo', id: 'jpeg' },
    instead: 'Importing JPEG folders will use the slower WebAssembly decoder.',
    install:
      'a C compiler and libjpeg-turbo (Debian/Ubuntu: sudo apt install build-essential libjpeg-dev; macOS: brew install jpeg-turbo)',
  },
];

let nodeGyp;
try {
  nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  nodeGyp = undefined;
}

/** Builds one addon; returns undefined on success, else why not. */
function build(addon) {
  if (!nodeGyp) return 'node-gyp is not installed (it is a devDependency: run npm ci)';
  const args = [nodeGyp, 'rebuild', '--directory', addon.dir];
  // Prefer installed Node headers (Debian's nodejs package) over a download when npm has not been told where they are.
  if (!process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status === 0) {
    // Shared libraries the addon finds beside itself (its $ORIGIN rpath): see native-libs.mjs.
    try {
      for (const lib of bundledLibraries(addon.library.id)) {
        copyFileSync(lib.path, join(addon.dir, 'build', 'Release', lib.soname));
      }
    } catch (err) {
      return `${addon.library.name} could not be copied beside it: ${err.message}`;
    }
    return undefined;
  }
  const output = `${result.stdout}\n${result.stderr}`;
  if (addon.library.pattern.test(output) && /No such file|cannot find/i.test(output)) {
    return `${addon.library.name} was not found`;
  }
  const lastError = output
    .split('\n')
    .filter((line) => /error/i.test(line))
    .slice(-3)
    .join('\n');
  return `the compiler failed:\n${lastError || output.slice(-800)}`;
}

let failed = false;
for (const addon of addons) {
  const reason = build(addon);
  const where = join(addon.dir, 'build', 'Release', addon.built);
  if (!reason) {
    console.log(`[autoencoder-studio] ${addon.name} built (${where.slice(root.length + 1)}).`);
    continue;
  }
  failed = true;
  console.warn(
    `\n[autoencoder-studio] ${addon.name} not built: ${reason}\n${addon.instead} To build it, install ` +
      `${addon.install}, then run: npm run build:native\n`,
  );
}
process.exit(failed && strict ? 1 : 0);
