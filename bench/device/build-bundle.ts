/**
 * `npm run bench:device-bundle`: writes `.device/`, the GPU check that runs on a machine with a GPU driver and
 * python3 but no Node, no npm and no network (bench/device/run.sh). At most 60 MiB:
 * - node.xz: this Node 22 binary, xz-compressed;
 * - dawn.node.xz: Dawn's addon for linux-x64 (from the npm package webgpu);
 * - device-bench.mjs: the benchmark with the engine, trainer core and models, one esbuild bundle, no node_modules;
 * - lib/libvulkan.so.1: Debian's Vulkan loader (libvulkan1, unpacked);
 * - data/: 6,000 training and 1,000 test images of Fashion-MNIST (Debian's dataset-fashion-mnist), as IDX files;
 * - torch_reference.py: PyTorch's side (the same models); run.sh.
 * The compressed binaries are cached in node_modules/.cache, so a rebuild takes seconds.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { parseIdx } from '../../src-main/datasets/idx';

const root = join(import.meta.dirname, '..', '..');
const out = join(root, '.device');
const cache = join(root, 'node_modules', '.cache', 'ae-studio-device');
const fashionDir = '/usr/share/datasets/fashion-mnist';
const maxBytes = 60 * 1024 ** 2;

/** `file` xz-compressed into the cache under `name`, once per content (size and time stand in for it). */
function compressed(file: string, name: string): string {
  const info = statSync(file);
  const cached = join(cache, `${name}-${info.size}-${Math.round(info.mtimeMs)}.xz`);
  if (!existsSync(cached)) {
    process.stderr.write(`Compressing ${name} (a minute, once)…\n`);
    mkdirSync(cache, { recursive: true });
    writeFileSync(`${cached}.part`, execFileSync('xz', ['-T0', '-6', '-c', file], { maxBuffer: 1024 ** 3 }));
    execFileSync('mv', [`${cached}.part`, cached]);
  }
  return cached;
}

/** Debian's Vulkan loader, from its package (apt-get download: no root, no install). */
function vulkanLoader(): string {
  const cached = join(cache, 'libvulkan.so.1');
  if (existsSync(cached)) return cached;
  const scratch = mkdtempSync(join(tmpdir(), 'ae-studio-libvulkan-'));
  try {
    execFileSync('apt-get', ['download', 'libvulkan1'], { cwd: scratch, stdio: ['ignore', 'ignore', 'inherit'] });
    const deb = readdirSync(scratch).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download libvulkan1 brought no package.');
    execFileSync('dpkg-deb', ['-x', join(scratch, deb), join(scratch, 'x')]);
    const libDir = join(scratch, 'x', 'usr', 'lib', 'x86_64-linux-gnu');
    const lib = readdirSync(libDir).find((f) => /^libvulkan\.so\.1\.\d/.test(f));
    if (!lib) throw new Error(`${deb} holds no libvulkan.so.1.`);
    mkdirSync(cache, { recursive: true });
    copyFileSync(join(libDir, lib), cached);
    return cached;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The first `count` images of an IDX file, as a gzipped IDX file. */
function idxSubset(name: string, count: number): Buffer {
  const { shape, data } = parseIdx(readFileSync(join(fashionDir, name)), name);
  const dims = [count, ...shape.slice(1)];
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x00000800 | dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  return gzipSync(Buffer.concat([header, data.subarray(0, size)]), { level: 9 });
}

if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('The GPU check bundle is for linux-x64.');
if (!process.versions.node.startsWith('22.')) {
  throw new Error(`Run this with the project's Node 22 (node_modules/.bin/node), not ${process.version}.`);
}
if (!existsSync(join(fashionDir, 'train-images-idx3-ubyte.gz'))) {
  throw new Error("Install Debian's dataset-fashion-mnist first (apt install dataset-fashion-mnist).");
}
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'lib'), { recursive: true });
mkdirSync(join(out, 'data'), { recursive: true });

await build({
  entryPoints: [join(root, 'bench', 'device', 'device-bench.ts')],
  outfile: join(out, 'device-bench.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  legalComments: 'none',
  keepNames: true,
  logLevel: 'warning',
  // The CommonJS inside (tfjs) calls require for Node's own modules.
  banner: {
    js: "import { createRequire as __aeRequire } from 'node:module'; const require = __aeRequire(import.meta.url);",
  },
});
const dawn = join(dirname(createRequire(import.meta.url).resolve('webgpu')), 'dist', 'linux-x64', 'dawn.node');
copyFileSync(compressed(process.execPath, `node-${process.version}`), join(out, 'node.xz'));
copyFileSync(compressed(dawn, 'dawn.node'), join(out, 'dawn.node.xz'));
copyFileSync(vulkanLoader(), join(out, 'lib', 'libvulkan.so.1'));
writeFileSync(join(out, 'data', 'train-images-idx3-ubyte.gz'), idxSubset('train-images-idx3-ubyte.gz', 6000));
writeFileSync(join(out, 'data', 't10k-images-idx3-ubyte.gz'), idxSubset('t10k-images-idx3-ubyte.gz', 1000));
copyFileSync(join(root, 'bench', 'torch_reference.py'), join(out, 'torch_reference.py'));
copyFileSync(join(root, 'bench', 'device', 'run.sh'), join(out, 'run.sh'));

const sizes = (dir: string): Array<[string, number]> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sizes(join(dir, e.name)) : [[join(dir, e.name), statSync(join(dir, e.name)).size]],
  );
const files = sizes(out);
const total = files.reduce((sum, [, size]) => sum + size, 0);
for (const [file, size] of files)
  console.log(`${(size / 1024 ** 2).toFixed(1).padStart(6)} MiB  ${file.slice(root.length + 1)}`);
console.log(`${(total / 1024 ** 2).toFixed(1).padStart(6)} MiB  in all (at most ${maxBytes / 1024 ** 2})`);
if (total > maxBytes) throw new Error(`.device/ is ${(total / 1024 ** 2).toFixed(1)} MiB, over the 60 MiB limit.`);
