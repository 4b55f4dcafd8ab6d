/**
 * Latent-map benchmark: `npm run bench:projection`. Lays out PCA-50 of the real Fashion-MNIST (Debian's
 * dataset-fashion-mnist) with the app's Barnes-Hut t-SNE and, in the same run, with scikit-learn's (python3-sklearn),
 * then scores both layouts with the same code (bench/sklearn_reference.py) and prints JSON side by side. Also times
 * similarity search over 60,000 codes of 64 numbers.
 *
 *   npm run bench:projection                     # 10,000 test images vs scikit-learn
 *   npm run bench:projection -- --n 60000 --no-reference   # all 60,000 training images, ours only
 *   npm run bench:projection -- --umap           # also UMAP (umap-js) on the same input
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { loadNativeAddon } from '../src-main/engine/native-addon';
import { fitPca, pcaTransform } from '../src-main/latent/pca';
import { runTsne } from '../src-main/latent/tsne';
import { defaultTsneSettings } from '../src-main/api/contract';
import { nearest } from '../src-main/latent/similarity';
import { seededRandom } from '../src-main/app/random';
import { UMAP } from 'umap-js';

const fashionDir = '/usr/share/datasets/fashion-mnist';
const python = '/usr/bin/python3';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    'no-reference': { type: 'boolean', default: false },
    umap: { type: 'boolean', default: false },
  },
});
const n = Number(values.n);
if (!existsSync(fashionDir)) throw new Error(`Install dataset-fashion-mnist first (${fashionDir} is missing).`);
const set = n > 10000 ? 'train' : 't10k';
const read = (kind: string, offset: number, bytes: number) =>
  gunzipSync(readFileSync(join(fashionDir, `${set}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz`))).subarray(
    offset,
    offset + bytes,
  );
const pixels = Float32Array.from(read('images', 16, n * 784), (v) => v / 255);
const labels = read('labels', 8, n);

let t = performance.now();
const pca = fitPca(pixels, n, 784, 50);
const x50 = Float32Array.from(pcaTransform(pca, pixels, n));
const pcaSeconds = (performance.now() - t) / 1000;

t = performance.now();
const layout = await runTsne(loadNativeAddon().tsne, x50, n, 50, { ...defaultTsneSettings, theta: 0.5 });
const tsneSeconds = (performance.now() - t) / 1000;

let umapSeconds: number | null = null;
let umapLayout: Float32Array | null = null;
if (values.umap) {
  t = performance.now();
  const rows = Array.from({ length: n }, (_, i) => Array.from(x50.subarray(i * 50, (i + 1) * 50)));
  const umap = new UMAP({ nComponents: 2, nNeighbors: 15, minDist: 0.1, random: seededRandom(0) });
  umapLayout = Float32Array.from((await umap.fitAsync(rows)).flat());
  umapSeconds = (performance.now() - t) / 1000;
}

// Similarity search: 60,000 random codes of 64 numbers, 20 queries.
const random = seededRandom(1);
const codes = Float32Array.from({ length: 60000 * 64 }, () => random());
t = performance.now();
for (let q = 0; q < 20; q++) nearest(codes, 64, q * 997, 10, 'l2');
const searchMs = (performance.now() - t) / 20;

const dir = mkdtempSync(join(tmpdir(), 'ae-bench-projection-'));
let reference: unknown;
try {
  writeFileSync(join(dir, 'x.f32'), x50);
  writeFileSync(join(dir, 'labels.u8'), labels);
  writeFileSync(join(dir, 'ours.f32'), Float32Array.from(layout!));
  const script = fileURLToPath(new URL('./sklearn_reference.py', import.meta.url));
  const args = [script, join(dir, 'x.f32'), join(dir, 'labels.u8'), String(n), '50', join(dir, 'ours.f32')];
  if (umapLayout) {
    writeFileSync(join(dir, 'umap.f32'), umapLayout);
    args.push('--umap', join(dir, 'umap.f32'));
  }
  if (values['no-reference']) args.push('--no-tsne');
  reference = JSON.parse(execFileSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 20 }));
} catch (err) {
  reference = { error: `scikit-learn reference unavailable (apt install python3-sklearn): ${(err as Error).message}` };
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ref = reference as { ours?: object; umap?: object; sklearn?: { seconds: number } };
console.log(
  JSON.stringify(
    {
      machine: { cpus: cpus().length, model: cpus()[0]?.model },
      points: n,
      input: 'PCA-50 of Fashion-MNIST pixels',
      pcaSeconds,
      ours: { seconds: tsneSeconds, ...ref.ours },
      ...(umapSeconds === null ? {} : { umapJs: { seconds: umapSeconds, ...ref.umap } }),
      sklearn: ref.sklearn ?? null,
      speedup: ref.sklearn ? ref.sklearn.seconds / tsneSeconds : null,
      searchMsPerQuery60kx64: searchMs,
      ...(ref.ours ? {} : { reference }),
    },
    null,
    2,
  ),
);
