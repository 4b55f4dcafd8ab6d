import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Database } from '../store/database';
import * as latent from '../store/latent';
import { dataLayout } from '../app/paths';
import { UserError } from '../api/errors';
import { UMAP } from 'umap-js';
import type { ProjectionSettings, UmapSettings } from '../api/contract';
import { seededRandom } from '../app/random';
import { loadNativeAddon } from '../engine/native-addon';
import { fitPca, pcaTransform } from './pca';
import { readEmbeddingCodes, writeProjectionFile } from './latent-files';
import { runTsne, tsneProblem, type TsneProgress } from './tsne';
import { throwIfCancelled } from '../api/errors';

export interface ProjectContext {
  db: Database;
  dataDir: string;
  signal: AbortSignal;
  onProgress(phase: TsneProgress['phase'], done: number, total: number): void;
}

/** What a projection reports besides its points. */
export interface ProjectionMeta {
  explainedVariance: number[] | null;
}

async function layout(
  ctx: ProjectContext,
  codes: Float32Array,
  n: number,
  dims: number,
  settings: ProjectionSettings,
): Promise<{ points: Float32Array; meta: ProjectionMeta }> {
  if (settings.method === 'pca') {
    const pca = fitPca(codes, n, dims, 2);
    const coords = pcaTransform(pca, codes, n);
    // A 1-D code has one axis; the map draws it on x with y = 0.
    const points = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) for (let c = 0; c < pca.k; c++) points[2 * i + c] = coords[i * pca.k + c];
    return { points, meta: { explainedVariance: Array.from(pca.explainedRatio) } };
  }
  if (settings.method === 'umap')
    return { points: await umapLayout(ctx, codes, n, dims, settings), meta: { explainedVariance: null } };
  const problem = tsneProblem({ ...settings, theta: 0.5 }, n);
  if (problem) throw new UserError('invalid_argument', problem);
  let tsne;
  try {
    tsne = loadNativeAddon().tsne;
  } catch (err) {
    throw new UserError(
      'engine_unavailable',
      `t-SNE needs the native kernels, and ${(err as Error).message}. PCA maps work without them.`,
    );
  }
  const y = await runTsne(
    tsne,
    codes,
    n,
    dims,
    { ...settings, theta: 0.5 },
    {
      signal: ctx.signal,
      onProgress: (p) => ctx.onProgress(p.phase, p.done, p.total),
    },
  );
  if (!y) throw new UserError('cancelled', 'Cancelled; nothing was saved.');
  return { points: Float32Array.from(y), meta: { explainedVariance: null } };
}

/**
 * UMAP by umap-js (the PAIR team's port of McInnes' algorithm): its nearest-neighbour graph and fuzzy set are
 * built in one synchronous step (cancelling then ends the process), the layout epoch by epoch with progress.
 */
async function umapLayout(
  ctx: ProjectContext,
  codes: Float32Array,
  n: number,
  dims: number,
  settings: UmapSettings,
): Promise<Float32Array> {
  if (n <= settings.nNeighbors) {
    throw new UserError(
      'invalid_argument',
      `UMAP with ${settings.nNeighbors} neighbours needs more than ${settings.nNeighbors} images; these codes have ${n}.`,
    );
  }
  const rows = Array.from({ length: n }, (_, i) => Array.from(codes.subarray(i * dims, (i + 1) * dims)));
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: settings.nNeighbors,
    minDist: settings.minDist,
    ...(settings.epochs > 0 ? { nEpochs: settings.epochs } : {}),
    random: seededRandom(settings.seed),
  });
  ctx.onProgress('neighbours', 0, n);
  const epochs = umap.initializeFit(rows);
  throwIfCancelled(ctx.signal);
  for (let epoch = 0; epoch < epochs; epoch++) {
    umap.step();
    if (epoch % 10 === 0) {
      ctx.onProgress('optimising', epoch, epochs);
      // Lets a cancel request in.
      await new Promise((resolve) => setImmediate(resolve));
      throwIfCancelled(ctx.signal);
    }
  }
  ctx.onProgress('optimising', epochs, epochs);
  return Float32Array.from(umap.getEmbedding().flat());
}

/** Lays an embedding's codes out in 2-D and stores the map with its settings. */
export async function computeProjection(
  ctx: ProjectContext,
  embedding: latent.EmbeddingRow,
  settings: ProjectionSettings,
): Promise<latent.ProjectionRow> {
  const { db, dataDir } = ctx;
  const codes = readEmbeddingCodes(dataDir, embedding);
  const started = performance.now();
  const { points, meta } = await layout(ctx, codes, embedding.count, embedding.dims, settings);
  throwIfCancelled(ctx.signal);
  const file = join(
    dataLayout(dataDir).runDir(embedding.runId),
    'latent',
    `map-${settings.method}-${Date.now().toString(36)}-${process.pid}.f32`,
  );
  mkdirSync(dirname(file), { recursive: true });
  writeProjectionFile(dataDir, relative(dataDir, file), points);
  const id = latent.insertProjection(db, {
    embeddingId: embedding.id,
    method: settings.method,
    params: JSON.stringify(settings),
    path: relative(dataDir, file),
    meta: JSON.stringify(meta),
    elapsedMs: performance.now() - started,
  });
  return latent.getProjection(db, id)!;
}
