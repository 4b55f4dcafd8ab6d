/**
 * Import benchmark: `npm run bench:import`. Measures
 *  1. Fashion-MNIST from its IDX .gz files (70,000 images), against only parsing the files (the floor);
 *  2. folders of ~200x200 JPEGs resized to 64x64 RGB, against decoding the same files one at a time with sharp (what a
 *     plain loop over the folder does), at two folder sizes to show that peak memory does not grow with the folder.
 *     The import decodes JPEGs with libjpeg-turbo when its addon is built (`npm run build:native`), else with mozjpeg
 *     compiled to WebAssembly; the header says which.
 * Each measurement runs in a fresh process, so peak memory belongs to it alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { openDatabase } from '../src-main/store/database';
import { dataLayout } from '../src-main/app/paths';
import { loadNativeJpeg } from '../src-main/datasets/native-jpeg';
import { importBuiltin } from '../src-main/datasets/builtin-import';
import { importImageFolder } from '../src-main/datasets/folder-import';
import { decodeImageFile } from '../src-main/datasets/image-decode';
import { parseIdx } from '../src-main/datasets/idx';
import type { ImportContext } from '../src-main/datasets/import-context';

const fashionDir = '/usr/share/datasets/fashion-mnist';
const benchDir = join(tmpdir(), 'ae-studio-bench');
const decodeOptions = { size: 64, channels: 3 as const, fit: 'cover' as const, background: '#ffffff' };

interface Measurement {
  images: number;
  seconds: number;
  peakRssMb: number;
}

/** Runs `work` while sampling the process's resident memory. */
async function measure(work: () => Promise<number>): Promise<Measurement> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const started = performance.now();
  const images = await work();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { images, seconds, peakRssMb: peak / 2 ** 20 };
}

function context(dataDir: string): ImportContext {
  return {
    db: openDatabase(dataLayout(dataDir).database),
    dataDir,
    signal: new AbortController().signal,
    onProgress: () => {},
  };
}

/** One measurement in this process (the parent starts a process per measurement). */
async function child(kind: string, arg: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ae-studio-bench-store-'));
  let result: Measurement;
  if (kind === 'idx-import') {
    result = await measure(
      async () => (await importBuiltin(context(dataDir), { dataset: 'fashion-mnist' })).report.imported,
    );
  } else if (kind === 'idx-parse') {
    result = await measure(async () => {
      let n = 0;
      for (const name of ['train-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz'])
        n += parseIdx(readFileSync(join(fashionDir, name)), name).shape[0];
      return n;
    });
  } else if (kind === 'folder-import') {
    result = await measure(
      async () => (await importImageFolder(context(dataDir), { path: arg, size: 64, channels: 3 })).report.imported,
    );
  } else {
    // The reference: every file read and decoded one after another, pixels kept in memory as a plain loop would.
    result = await measure(async () => {
      const kept: Uint8Array[] = [];
      for (const cls of readdirSync(arg).filter((name) => !name.startsWith('.')))
        for (const file of readdirSync(join(arg, cls)))
          kept.push((await decodeImageFile(join(arg, cls, file), decodeOptions)).pixels);
      return kept.length;
    });
  }
  rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(result));
}

function run(kind: string, arg = ''): Measurement {
  const script = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, '--child', kind, arg], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out) as Measurement;
}

/** A folder of `count` JPEGs of about 200x200 px in 10 class folders, made once and reused. */
async function jpegFolder(count: number): Promise<string> {
  const dir = join(benchDir, `jpegs-${count}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`Generating ${count} JPEGs in ${dir}…\n`);
  for (let i = 0; i < count; i++) {
    const width = 180 + (i % 41);
    const height = 180 + ((i * 7) % 41);
    const raw = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = (y * width + x) * 3;
        raw[p] = (x * 255) / width;
        raw[p + 1] = (y * 255) / height;
        raw[p + 2] = ((x + y + i * 13) * 3) % 256;
      }
    }
    const cls = join(dir, `class-${i % 10}`);
    mkdirSync(cls, { recursive: true });
    writeFileSync(
      join(cls, `photo-${i}.jpg`),
      await sharp(raw, { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 88 })
        .toBuffer(),
    );
  }
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}

function row(name: string, m: Measurement, reference?: Measurement): string {
  const rate = m.images / m.seconds;
  const vs = reference ? `${(rate / (reference.images / reference.seconds)).toFixed(1)}x` : '';
  return `| ${name} | ${m.images.toLocaleString('en-US')} | ${m.seconds.toFixed(2)} s | ${Math.round(rate).toLocaleString('en-US')} | ${Math.round(m.peakRssMb)} MB | ${vs} |`;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4]);
  if (!existsSync(join(fashionDir, 'train-images-idx3-ubyte.gz')))
    throw new Error("Install Debian's dataset-fashion-mnist first.");
  const small = await jpegFolder(2500);
  const large = await jpegFolder(10000);
  const decoder = loadNativeJpeg()
    ? 'libjpeg-turbo (native addon)'
    : 'mozjpeg (WebAssembly; the native addon is not built)';
  console.log(
    `Import benchmark — ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, sharp ${sharp.versions.sharp}, ` +
      `JPEG decoder: ${decoder}\n`,
  );
  console.log('| what | images | time | images/s | peak memory | speed-up |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const parse = run('idx-parse');
  console.log(row('Fashion-MNIST IDX .gz: parse only (floor)', parse));
  console.log(row('Fashion-MNIST IDX .gz: import into the store', run('idx-import')));
  const reference = run('folder-sequential', small);
  console.log(row('2,500 JPEGs → 64x64 RGB: one file at a time (reference)', reference));
  console.log(row('2,500 JPEGs → 64x64 RGB: import', run('folder-import', small), reference));
  console.log(row('10,000 JPEGs → 64x64 RGB: import', run('folder-import', large), reference));
  console.log(
    '\nTargets (issue 3): Fashion-MNIST under 5 s; JPEG folder at least 500 images/s, peak memory independent of folder size.',
  );
}

await main();
