/**
 * Builds the native CPU kernels (src-main/engine/native) with node-gyp. Runs after `npm ci`/`npm install`; also
 * `npm run build:native`. The kernels are optional: without a C compiler or OpenBLAS the build says what is missing
 * and the app trains on WebAssembly instead, so an install never fails because of them (unless --strict is given).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const strict = process.argv.includes('--strict');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'src-main', 'engine', 'native');

function giveUp(reason) {
  const advice =
    'Training will use the slower WebAssembly engine. To build the native kernels, install a C compiler and ' +
    'OpenBLAS (Debian/Ubuntu: sudo apt install build-essential libopenblas-dev; macOS: brew install openblas), ' +
    'then run: npm run build:native';
  console.warn(`\n[autoencoder-studio] Native CPU kernels not built: ${reason}\n${advice}\n`);
  process.exit(strict ? 1 : 0);
}

let nodeGyp;
try {
  nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  giveUp('node-gyp is not installed (it is a devDependency: run npm ci)');
}

const args = [nodeGyp, 'rebuild', '--directory', nativeDir];
// Prefer installed Node headers (Debian's nodejs package) over a download when npm has not been told where they are.
if (!process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');

const result = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (result.status !== 0) {
  const output = `${result.stdout}\n${result.stderr}`;
  const missingBlas = /cblas\.h|-lopenblas|openblas/i.test(output) && /No such file|cannot find/i.test(output);
  const lastError = output
    .split('\n')
    .filter((line) => /error/i.test(line))
    .slice(-3)
    .join('\n');
  giveUp(missingBlas ? 'OpenBLAS was not found' : `the compiler failed:\n${lastError || output.slice(-800)}`);
}
console.log('[autoencoder-studio] Native CPU kernels built (src-main/engine/native/build/Release/ae_kernels.node).');
