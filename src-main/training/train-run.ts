import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import type { Database } from '../store/database';
import * as runs from '../store/runs';
import * as metrics from '../store/metrics';
import * as checkpoints from '../store/checkpoints';
import * as artifacts from '../store/artifacts';
import { getDataset, type DatasetRow } from '../store/datasets';
import { splitIndex } from '../store/images';
import { openPixelCache } from '../datasets/dataset-store';
import { SplitPixels } from './split-pixels';
import { dataLayout } from '../app/paths';
import { writeFileAtomic } from '../app/files';
import type { EngineStatus } from '../engine/select-engine';
import { buildModel, type ImageShape } from './build-model';
import { trainingConfigSchema, type TrainingConfig } from './training-config';
import { readCheckpoint, writeCheckpoint } from './checkpoint-files';
import { epochOrder } from '../app/random';
import type { TrainingProgress } from './worker-protocol';

/** How many test images each epoch's reconstruction gallery shows. */
export const galleryImages = 10;
const evalBatch = 256;
const progressIntervalMs = 150;

export interface TrainRunContext {
  tf: typeof tfType;
  engine: EngineStatus;
  db: Database;
  dataDir: string;
  runId: number;
  shouldStop(): boolean;
  onProgress(progress: TrainingProgress): void;
  /** Splits larger than this are read from the cache file batch by batch (default: split-pixels.ts). */
  preloadLimitBytes?: number;
  /** Lets queued messages (a stop request) in between batches. */
  yieldToEvents(): Promise<void>;
}

export interface TrainRunResult {
  status: runs.RunStatus;
  error: string | null;
}

function makeOptimizer(tf: typeof tfType, config: TrainingConfig): tfType.Optimizer {
  switch (config.optimizer) {
    case 'adam':
      return tf.train.adam(config.learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(config.learningRate);
    case 'sgd':
      return tf.train.sgd(config.learningRate);
  }
}

export function reconstructionLoss(
  tf: typeof tfType,
  loss: TrainingConfig['loss'],
  prediction: tfType.Tensor,
  target: tfType.Tensor,
): tfType.Scalar {
  return tf.tidy(() => {
    if (loss === 'mse') return tf.mean(tf.squaredDifference(prediction, target)) as tfType.Scalar;
    const p = tf.clipByValue(prediction, 1e-7, 1 - 1e-7);
    const ones = tf.onesLike(target);
    return tf.neg(
      tf.mean(tf.add(tf.mul(target, tf.log(p)), tf.mul(tf.sub(ones, target), tf.log(tf.sub(ones, p))))),
    ) as tfType.Scalar;
  });
}

/** Trains one stored run from its last checkpoint (or from scratch) to its configured epochs. */
export async function trainRun(ctx: TrainRunContext): Promise<TrainRunResult> {
  const { tf, db, runId } = ctx;
  const run = runs.getRun(db, runId);
  if (!run) return { status: 'failed', error: `Run ${runId} does not exist.` };
  try {
    return await trainLoaded(ctx, run);
  } catch (err) {
    const message = (err as Error).message || String(err);
    runs.finishRun(db, runId, 'failed', message);
    return { status: 'failed', error: message };
  } finally {
    tf.disposeVariables();
  }
}

async function trainLoaded(ctx: TrainRunContext, run: runs.RunRow): Promise<TrainRunResult> {
  const { db, runId, engine } = ctx;
  if (!runs.markRunStarted(db, runId, engine.name, process.pid)) {
    return { status: run.status, error: `Run ${runId} is not queued (it is ${run.status}); nothing to do.` };
  }
  const config = trainingConfigSchema.parse(JSON.parse(run.config));
  const dataset = getDataset(db, run.datasetId);
  if (!dataset) throw new Error(`The dataset of run ${runId} no longer exists.`);
  const trainSplit = splitIndex(db, dataset.id, 'train');
  const testSplit = splitIndex(db, dataset.id, 'test');
  if (trainSplit.idx.length === 0) throw new Error(`The dataset "${dataset.name}" has no training images.`);

  const cache = openPixelCache(ctx.dataDir, dataset);
  try {
    const train = new SplitPixels(cache, trainSplit.idx, ctx.preloadLimitBytes);
    const test = new SplitPixels(cache, testSplit.idx, ctx.preloadLimitBytes);
    return await trainOpened(ctx, config, dataset, train, test, testSplit.idx);
  } finally {
    cache.close();
  }
}

/** The training loop proper, over a run's opened splits. */
async function trainOpened(
  ctx: TrainRunContext,
  config: TrainingConfig,
  dataset: DatasetRow,
  trainPixels: SplitPixels,
  testPixels: SplitPixels,
  testIdx: Int32Array,
): Promise<TrainRunResult> {
  const { tf, db, dataDir, runId, engine } = ctx;
  const shape: ImageShape = [dataset.height, dataset.width, dataset.channels];
  const imageBytes = dataset.width * dataset.height * dataset.channels;
  const trainCount = trainPixels.count;

  const runDir = dataLayout(dataDir).runDir(runId);
  const latest = checkpoints.latestCheckpoint(db, runId);
  let model: tfType.LayersModel;
  const optimizer = makeOptimizer(tf, config);
  let startEpoch = 0;
  if (latest) {
    const restored = await readCheckpoint(tf, join(dataDir, latest.path));
    model = restored.model;
    await optimizer.setWeights(restored.optimizerSlots);
    startEpoch = restored.state.epoch;
  } else {
    model = buildModel(tf, config.model, shape, config.seed);
  }
  metrics.deleteMetricsAfterEpoch(db, runId, startEpoch);
  const previousElapsed = metrics.listMetrics(db, runId, 'epoch').at(-1)?.elapsedMs ?? 0;

  const trainable = model.trainableWeights.map((w) => w.read() as tfType.Variable);
  const batches = Math.ceil(trainCount / config.batchSize);
  const batchBuffer = new Float32Array(config.batchSize * imageBytes);
  const sessionStart = performance.now();
  let trainMs = 0;
  let evalMs = 0;
  let imagesSeen = 0;
  let lastProgress = 0;
  let lastTestLoss = latest ? (runs.getRun(db, runId)?.finalTestLoss ?? null) : null;

  const progress = (p: Pick<TrainingProgress, 'phase' | 'epoch' | 'batch' | 'trainLoss'>, force = false): void => {
    const now = performance.now();
    if (!force && now - lastProgress < progressIntervalMs) return;
    lastProgress = now;
    const rate = trainMs > 0 ? (imagesSeen / trainMs) * 1000 : null;
    const remainingImages = (config.epochs - p.epoch) * trainCount + (batches - p.batch) * config.batchSize;
    const epochsDoneHere = Math.max(1, p.epoch - startEpoch);
    const evalPerEpoch = evalMs / epochsDoneHere;
    ctx.onProgress({
      runId,
      status: 'running',
      ...p,
      epochs: config.epochs,
      batches,
      testLoss: lastTestLoss,
      imagesPerSec: rate,
      elapsedMs: previousElapsed + (now - sessionStart),
      etaMs: rate ? (Math.max(0, remainingImages) / rate) * 1000 + evalPerEpoch * (config.epochs - p.epoch + 1) : null,
      engine: engine.name,
      error: null,
    });
  };

  for (let epoch = startEpoch + 1; epoch <= config.epochs; epoch++) {
    const order = epochOrder(trainCount, config.seed, epoch);
    let lossSum = 0;
    let lossCount = 0;
    for (let b = 0; b < batches; b++) {
      await ctx.yieldToEvents();
      if (ctx.shouldStop()) {
        runs.finishRun(db, runId, 'stopped');
        return { status: 'stopped', error: null };
      }
      const t0 = performance.now();
      const n = trainPixels.fill(
        order,
        b * config.batchSize,
        Math.min((b + 1) * config.batchSize, order.length),
        batchBuffer,
      );
      const x = tf.tensor4d(batchBuffer.subarray(0, n * imageBytes), [n, ...shape]);
      const cost = optimizer.minimize(
        () => reconstructionLoss(tf, config.loss, model.apply(x, { training: true }) as tfType.Tensor, x),
        true,
        trainable,
      );
      const loss = (await cost!.data())[0];
      tf.dispose([x, cost!]);
      if (!Number.isFinite(loss)) {
        throw new Error(`The loss became ${loss} in epoch ${epoch}; try a smaller learning rate.`);
      }
      trainMs += performance.now() - t0;
      imagesSeen += n;
      lossSum += loss * n;
      lossCount += n;
      metrics.insertMetric(db, runId, {
        scope: 'batch',
        step: (epoch - 1) * batches + b,
        epoch,
        trainLoss: loss,
        testLoss: null,
        imagesPerSec: (n / (performance.now() - t0)) * 1000,
        elapsedMs: previousElapsed + performance.now() - sessionStart,
      });
      progress({ phase: 'training', epoch, batch: b + 1, trainLoss: lossSum / lossCount }, b === batches - 1);
    }

    const e0 = performance.now();
    progress({ phase: 'evaluating', epoch, batch: batches, trainLoss: lossSum / lossCount }, true);
    const trainLoss = lossSum / lossCount;
    const testLoss = testPixels.count > 0 ? evaluate(tf, model, config, testPixels, shape) : null;
    lastTestLoss = testLoss;
    const epochDir = join(runDir, 'checkpoints', `epoch-${String(epoch).padStart(4, '0')}`);
    mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
    await writeCheckpoint(tf, epochDir, model, optimizer, { epoch });
    writeGallery(tf, db, dataDir, runId, epoch, model, testPixels, testIdx, shape);
    evalMs += performance.now() - e0;
    const elapsedMs = previousElapsed + performance.now() - sessionStart;
    db.transaction(() => {
      metrics.insertMetric(db, runId, {
        scope: 'epoch',
        step: epoch,
        epoch,
        trainLoss,
        testLoss,
        imagesPerSec: trainMs > 0 ? (imagesSeen / trainMs) * 1000 : null,
        elapsedMs,
      });
      checkpoints.insertCheckpoint(db, runId, epoch, relative(dataDir, epochDir));
      runs.recordEpochDone(db, runId, epoch, trainLoss, testLoss);
    })();
  }
  runs.finishRun(db, runId, 'completed');
  return { status: 'completed', error: null };
}

function evaluate(
  tf: typeof tfType,
  model: tfType.LayersModel,
  config: TrainingConfig,
  pixels: SplitPixels,
  shape: ImageShape,
): number {
  const imageBytes = shape[0] * shape[1] * shape[2];
  const buffer = new Float32Array(evalBatch * imageBytes);
  const count = pixels.count;
  const identity = Int32Array.from({ length: count }, (_, i) => i);
  let sum = 0;
  for (let start = 0; start < count; start += evalBatch) {
    const n = pixels.fill(identity, start, Math.min(start + evalBatch, count), buffer);
    sum +=
      tf
        .tidy(() => {
          const x = tf.tensor4d(buffer.subarray(0, n * imageBytes), [n, ...shape]);
          return reconstructionLoss(tf, config.loss, model.predict(x) as tfType.Tensor, x);
        })
        .dataSync()[0] * n;
  }
  return sum / count;
}

/** Stores this epoch's reconstructions of the first test images, with each image's mean squared error. */
function writeGallery(
  tf: typeof tfType,
  db: Database,
  dataDir: string,
  runId: number,
  epoch: number,
  model: tfType.LayersModel,
  testPixels: SplitPixels,
  testIdx: Int32Array,
  shape: ImageShape,
): void {
  const n = Math.min(galleryImages, testIdx.length);
  if (n === 0) return;
  const { reconstructed, errors } = tf.tidy(() => {
    const x = tf.tensor4d(
      Float32Array.from(testPixels.firstImages(n), (v) => v / 255),
      [n, ...shape],
    );
    const y = model.predict(x) as tfType.Tensor;
    return {
      reconstructed: tf.round(tf.mul(y, 255)).dataSync(),
      errors: tf.mean(tf.squaredDifference(x, y), [1, 2, 3]).dataSync(),
    };
  });
  const dir = join(dataLayout(dataDir).runDir(runId), 'reconstructions');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `epoch-${String(epoch).padStart(4, '0')}.u8`);
  writeFileAtomic(file, Uint8Array.from(reconstructed));
  artifacts.insertArtifact(db, {
    runId,
    kind: 'reconstructions',
    epoch,
    path: relative(dataDir, file),
    meta: { cacheIndices: Array.from(testIdx.subarray(0, n)), mse: Array.from(errors) },
  });
}
