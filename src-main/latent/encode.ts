import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import type { Database } from '../store/database';
import * as runs from '../store/runs';
import * as latent from '../store/latent';
import { getDataset } from '../store/datasets';
import { splitIndex } from '../store/images';
import { openPixelCache } from '../datasets/dataset-store';
import { dataLayout } from '../app/paths';
import { throwIfCancelled, UserError } from '../api/errors';
import {
  chooseCheckpoint,
  disposeRunModel,
  encodeAndReconstruct,
  loadRunModel,
  meanSquaredErrors,
  toModelInput,
} from '../evaluation/run-model';
import { writeEmbeddingFiles } from './latent-files';
import { seededRandom } from '../app/random';

const encodeBatch = 256;

export interface EncodeContext {
  tf: typeof tfType;
  db: Database;
  dataDir: string;
  signal: AbortSignal;
  onProgress(done: number, total: number): void;
}

/**
 * The run's codes for a split at a checkpoint: reused when already stored, otherwise computed batch by batch with the
 * encoder (for a VAE, the mean of the code distribution) and stored with each image's reconstruction error (MSE).
 */
export async function ensureEmbedding(
  ctx: EncodeContext,
  runId: number,
  split: latent.EmbeddingSplit,
  epoch?: number,
  sample?: latent.EmbeddingSample,
): Promise<latent.EmbeddingRow> {
  const { tf, db, dataDir } = ctx;
  const run = runs.getRun(db, runId);
  if (!run) throw new UserError('not_found', `There is no run with id ${runId}.`);
  const checkpoint = chooseCheckpoint(db, runId, epoch);
  const key = latent.sampleKey(sample);
  const stored = latent.findEmbedding(db, runId, checkpoint.epoch, split, key);
  if (stored) return stored;

  const dataset = getDataset(db, run.datasetId);
  if (!dataset) throw new UserError('not_found', `The dataset of run ${runId} no longer exists.`);
  const parts = split === 'all' ? (['train', 'test'] as const) : ([split] as const);
  const indices = parts.map((part) => splitIndex(db, dataset.id, part));
  const whole = new Int32Array(indices.reduce((sum, { idx }) => sum + idx.length, 0));
  const labels = new Int32Array(whole.length);
  indices.reduce((at, { idx, labels: of }) => (whole.set(idx, at), labels.set(of, at), at + idx.length), 0);
  if (whole.length === 0) throw new UserError('not_found', `The dataset "${dataset.name}" has no ${split} images.`);
  const cacheIndices = sample ? Int32Array.from(samplePositionsOf(labels, sample), (i) => whole[i]) : whole;
  const count = cacheIndices.length;

  const started = performance.now();
  const model = await loadRunModel(tf, db, dataDir, runId, checkpoint.epoch);
  const dims = model.latentDims;
  const codes = new Float32Array(count * dims);
  const errors = new Float32Array(count);
  const cache = openPixelCache(dataDir, dataset);
  try {
    for (let start = 0; start < count; start += encodeBatch) {
      throwIfCancelled(ctx.signal);
      const n = Math.min(encodeBatch, count - start);
      // One pass gives each image's code and its reconstruction error (for the map's colouring by error).
      const input = toModelInput(cache.read(cacheIndices.subarray(start, start + n)));
      const out = await encodeAndReconstruct(tf, model, input, n);
      codes.set(out.codes, start * dims);
      errors.set(meanSquaredErrors(input, out.outputs, n), start);
      ctx.onProgress(start + n, count);
      // Let a cancel request in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    cache.close();
    disposeRunModel(model);
  }
  throwIfCancelled(ctx.signal);
  const dir = join(dataLayout(dataDir).runDir(runId), 'latent');
  mkdirSync(dir, { recursive: true });
  const named = `epoch-${String(checkpoint.epoch).padStart(4, '0')}-${split}${key ? `-${key.replace(/:/g, '-')}` : ''}`;
  const path = relative(dataDir, join(dir, named));
  writeEmbeddingFiles(dataDir, path, codes, cacheIndices, errors);
  latent.insertEmbedding(db, {
    runId,
    epoch: checkpoint.epoch,
    split,
    sample: key,
    count,
    dims,
    path,
    elapsedMs: performance.now() - started,
  });
  // Found by its key, not by lastInsertRowid: an upsert that updated an existing row does not set that.
  return latent.findEmbedding(db, runId, checkpoint.epoch, split, key)!;
}

/**
 * The positions (into `labels`) of a sample, ascending: `count` at random, or `count` of each class (all of a class
 * with fewer), drawn with `seed`, so the same sample is drawn again from the same split.
 */
export function samplePositionsOf(labels: Int32Array, sample: latent.EmbeddingSample): Int32Array {
  const random = seededRandom(sample.seed);
  const draw = (positions: number[], take: number) => {
    for (let i = 0; i < Math.min(take, positions.length); i++) {
      const j = i + Math.floor(random() * (positions.length - i));
      [positions[i], positions[j]] = [positions[j], positions[i]];
    }
    return positions.slice(0, take);
  };
  const all = Array.from(labels.keys());
  if (!sample.perClass) return Int32Array.from(draw(all, sample.count)).sort();
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  return Int32Array.from(
    classes.flatMap((label) =>
      draw(
        all.filter((i) => labels[i] === label),
        sample.count,
      ),
    ),
  ).sort();
}
