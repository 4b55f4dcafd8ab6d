import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import type { Database } from '../store/database';
import * as runs from '../store/runs';
import * as checkpoints from '../store/checkpoints';
import * as latent from '../store/latent';
import { getDataset } from '../store/datasets';
import { splitIndex } from '../store/images';
import { openPixelCache } from '../datasets/dataset-store';
import { dataLayout } from '../app/paths';
import { UserError } from '../api/errors';
import { latentLayerName, latentMeanLayerName } from '../models/model-plan';
import { readCheckpointModel } from '../training/checkpoint-files';
import { writeEmbeddingFiles } from './latent-files';

const encodeBatch = 256;

export interface EncodeContext {
  tf: typeof tfType;
  db: Database;
  dataDir: string;
  signal: AbortSignal;
  onProgress(done: number, total: number): void;
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new UserError('cancelled', 'Cancelled; nothing was saved.');
}

/** The checkpoint to encode with: the one asked for, else the run's latest. */
export function chooseCheckpoint(db: Database, runId: number, epoch?: number): checkpoints.CheckpointRow {
  const all = checkpoints.listCheckpoints(db, runId);
  if (all.length === 0) {
    throw new UserError('not_found', `Run ${runId} has no checkpoint yet; its first one is saved after epoch 1.`);
  }
  if (epoch === undefined) return all[all.length - 1];
  const found = all.find((c) => c.epoch === epoch);
  if (!found) {
    throw new UserError(
      'not_found',
      `Run ${runId} has no checkpoint for epoch ${epoch} (it has epochs ${all.map((c) => c.epoch).join(', ')}).`,
    );
  }
  return found;
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
): Promise<latent.EmbeddingRow> {
  const { tf, db, dataDir } = ctx;
  const run = runs.getRun(db, runId);
  if (!run) throw new UserError('not_found', `There is no run with id ${runId}.`);
  const checkpoint = chooseCheckpoint(db, runId, epoch);
  const stored = latent.findEmbedding(db, runId, checkpoint.epoch, split);
  if (stored) return stored;

  const dataset = getDataset(db, run.datasetId);
  if (!dataset) throw new UserError('not_found', `The dataset of run ${runId} no longer exists.`);
  const parts = split === 'all' ? (['train', 'test'] as const) : ([split] as const);
  const indices = parts.map((part) => splitIndex(db, dataset.id, part).idx);
  const cacheIndices = new Int32Array(indices.reduce((sum, idx) => sum + idx.length, 0));
  indices.reduce((at, idx) => (cacheIndices.set(idx, at), at + idx.length), 0);
  const count = cacheIndices.length;
  if (count === 0) throw new UserError('not_found', `The dataset "${dataset.name}" has no ${split} images.`);

  const started = performance.now();
  const model = await readCheckpointModel(tf, join(dataDir, checkpoint.path));
  const names = model.layers.map((layer) => layer.name);
  const codeLayer = names.includes(latentMeanLayerName) ? latentMeanLayerName : latentLayerName;
  // One pass gives each image's code and its reconstruction (for the map's colouring by error).
  const both = tf.model({
    inputs: model.inputs,
    outputs: [model.getLayer(codeLayer).output as tfType.SymbolicTensor, model.outputs[0]],
  });
  const dims = (both.outputs[0].shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  const codes = new Float32Array(count * dims);
  const errors = new Float32Array(count);
  const shape = [dataset.height, dataset.width, dataset.channels] as const;
  const imageBytes = shape[0] * shape[1] * shape[2];
  const cache = openPixelCache(dataDir, dataset);
  try {
    const pixels = new Uint8Array(encodeBatch * imageBytes);
    const input = new Float32Array(pixels.length);
    for (let start = 0; start < count; start += encodeBatch) {
      throwIfCancelled(ctx.signal);
      const n = Math.min(encodeBatch, count - start);
      cache.read(cacheIndices.subarray(start, start + n), pixels);
      // The same scaling as training: pixel / 255.
      for (let i = 0; i < n * imageBytes; i++) input[i] = pixels[i] / 255;
      const [code, error] = tf.tidy((): tfType.Tensor[] => {
        const x = tf.tensor4d(input.subarray(0, n * imageBytes), [n, ...shape]);
        const [z, y] = both.predict(x) as tfType.Tensor[];
        return [z.reshape([n, dims]), tf.mean(tf.squaredDifference(x, y), [1, 2, 3])];
      });
      codes.set(await code.data<'float32'>(), start * dims);
      errors.set(await error.data<'float32'>(), start);
      tf.dispose([code, error]);
      ctx.onProgress(start + n, count);
      // Let a cancel request in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    cache.close();
    model.dispose();
  }
  throwIfCancelled(ctx.signal);
  const dir = join(dataLayout(dataDir).runDir(runId), 'latent');
  mkdirSync(dir, { recursive: true });
  const path = relative(dataDir, join(dir, `epoch-${String(checkpoint.epoch).padStart(4, '0')}-${split}`));
  writeEmbeddingFiles(dataDir, path, codes, cacheIndices, errors);
  latent.insertEmbedding(db, {
    runId,
    epoch: checkpoint.epoch,
    split,
    count,
    dims,
    path,
    elapsedMs: performance.now() - started,
  });
  // Found by its key, not by lastInsertRowid: an upsert that updated an existing row does not set that.
  return latent.findEmbedding(db, runId, checkpoint.epoch, split)!;
}
